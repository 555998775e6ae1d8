import BantamCore
import BantamJSON

/// The non-tensor part of a bitsandbytes 4-bit weight, stored as UTF-8 JSON in
/// `<layer>.weight.quant_state.bitsandbytes__nf4` (bitsandbytes `QuantState.as_dict(packed=True)`,
/// formats.md §5.2): `quant_type`, `blocksize`, `dtype`, `shape`, and for v1 files (double-quantized
/// absmax) `nested_blocksize`, `nested_dtype`, `nested_offset`.
public struct BitsAndBytesQuantState: Equatable, Sendable {
    /// The second quantization level of a v1 file's absmax.
    public struct Nested: Equatable, Sendable {
        public var blockSize: Int
        /// "float32" in every file bitsandbytes writes.
        public var dtype: String
        /// Added to the dequantized absmax (the mean subtracted before quantizing it).
        public var offset: Double

        public init(blockSize: Int, dtype: String = "float32", offset: Double) {
            self.blockSize = blockSize
            self.dtype = dtype
            self.offset = offset
        }
    }

    /// "nf4" (Bantam reads only NF4; "fp4" files are refused by name).
    public var quantType: String
    public var blockSize: Int
    /// The weight's dtype before quantization, as bitsandbytes spells it ("bfloat16", "float16", "float32").
    public var dtypeName: String
    /// [out, in] for a Linear weight.
    public var shape: [Int]
    public var nested: Nested?

    public init(quantType: String = "nf4", blockSize: Int = 64, dtype: DType, shape: [Int], nested: Nested? = nil) {
        self.quantType = quantType
        self.blockSize = blockSize
        self.dtypeName = Self.name(of: dtype)
        self.shape = shape
        self.nested = nested
    }

    /// The suffix of the JSON tensor's key after `<layer>.weight.`.
    public static func stateKeySuffix(_ quantType: String = "nf4") -> String { "quant_state.bitsandbytes__" + quantType }

    /// The runtime dtype of `dtypeName`, or nil when it is not f32, f16 or bf16.
    public var dtype: DType? {
        switch dtypeName {
        case "bfloat16": return .bf16
        case "float16", "half": return .f16
        case "float32", "float": return .f32
        default: return nil
        }
    }

    /// bitsandbytes' spelling of a dtype: `str(torch.dtype).strip("torch.")`.
    public static func name(of dtype: DType) -> String {
        switch dtype {
        case .bf16: return "bfloat16"
        case .f16: return "float16"
        default: return "float32"
        }
    }

    /// Parses the JSON bytes; `name` (the key) goes into messages.
    public init(json bytes: [UInt8], name: String) throws {
        let value: JSONValue
        do {
            value = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        } catch {
            throw QuantizationError(.badMetadata, name, "the quant_state is not valid JSON (\(error))")
        }
        guard let object = value.objectValue else {
            throw QuantizationError(.badMetadata, name, "the quant_state is \(value.typeName); expected a JSON object")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let v = object[key] else {
                throw QuantizationError(.badMetadata, name, "the quant_state has no '\(key)'")
            }
            return v
        }
        func integer(_ key: String) throws -> Int {
            guard let i = try field(key).integerValue else {
                throw QuantizationError(.badMetadata, name, "quant_state '\(key)' is \(try field(key).brief); expected an integer")
            }
            return i
        }
        func string(_ key: String) throws -> String {
            guard let s = try field(key).stringValue else {
                throw QuantizationError(.badMetadata, name, "quant_state '\(key)' is \(try field(key).brief); expected a string")
            }
            return s
        }
        quantType = try string("quant_type")
        blockSize = try integer("blocksize")
        dtypeName = try string("dtype")
        guard let dims = try field("shape").arrayValue?.map(\.integerValue), dims.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw QuantizationError(.badMetadata, name, "quant_state 'shape' is \(try field("shape").brief); expected a list of sizes")
        }
        shape = dims.map { $0! }
        if object["nested_blocksize"] != nil || object["nested_offset"] != nil {
            guard let offset = try field("nested_offset").doubleValue else {
                throw QuantizationError(.badMetadata, name, "quant_state 'nested_offset' is not a number")
            }
            nested = Nested(blockSize: try integer("nested_blocksize"),
                            dtype: object["nested_dtype"]?.stringValue ?? "float32", offset: offset)
        } else {
            nested = nil
        }
    }

    /// The JSON exactly as bitsandbytes writes it (`json.dumps` of the dict in `as_dict` order, with
    /// Python's ", " and ": " separators), UTF-8.
    public var json: [UInt8] {
        var text = "{\"quant_type\": \"\(quantType)\", \"blocksize\": \(blockSize), \"dtype\": \"\(dtypeName)\", "
        text += "\"shape\": [" + shape.map(String.init).joined(separator: ", ") + "]"
        if let nested {
            text += ", \"nested_blocksize\": \(nested.blockSize), \"nested_dtype\": \"\(nested.dtype)\", "
            text += "\"nested_offset\": \(Self.pythonRepr(nested.offset))"
        }
        return Array((text + "}").utf8)
    }

    /// Python's `repr(float)`: the shortest digits that round-trip, which Swift's description also gives
    /// (both write "0.1", "1e-05", "1e+16").
    static func pythonRepr(_ value: Double) -> String { value.description }
}
