import BantamCore
import BantamJSON

/// A ComfyUI `comfy_quant` layer configuration (formats.md §4.4): the JSON in `<layer>.comfy_quant` (a U8
/// tensor) or in `__metadata__["_quantization_metadata"]["layers"][<layer>]`, e.g.
/// `{"format": "float8_e4m3fn"}`. Bantam reads the FP8 formats; others (nvfp4, ...) are refused by name.
public struct ComfyQuantConfig: Equatable, Sendable {
    /// "float8_e4m3fn", "float8_e5m2", "nvfp4", ...
    public var format: String
    /// ComfyUI computes such a layer in full precision rather than with FP8 matmuls.
    public var fullPrecisionMatrixMult: Bool

    public init(format: String, fullPrecisionMatrixMult: Bool = false) {
        self.format = format
        self.fullPrecisionMatrixMult = fullPrecisionMatrixMult
    }

    /// From a parsed JSON object.
    public init(_ value: JSONValue, name: String) throws {
        guard let object = value.objectValue, let format = object["format"]?.stringValue else {
            throw QuantizationError(.badMetadata, name, "comfy_quant config \(value.brief) has no string 'format'")
        }
        self.format = format
        if case .bool(let b)? = object["full_precision_matrix_mult"] { fullPrecisionMatrixMult = b } else { fullPrecisionMatrixMult = false }
    }

    /// From the bytes of a `comfy_quant` tensor.
    public init(json bytes: [UInt8], name: String) throws {
        let value: JSONValue
        do {
            value = try bytes.withUnsafeBytes { try JSONParser.parse($0) }
        } catch {
            throw QuantizationError(.badMetadata, name, "comfy_quant is not valid JSON (\(error))")
        }
        try self.init(value, name: name)
    }

    /// The per-layer configs of `__metadata__["_quantization_metadata"]` (`{"layers": {...}}`), keyed by the
    /// full layer name as the file spells it.
    public static func layers(fromMetadata text: String, name: String) throws -> [String: ComfyQuantConfig] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw QuantizationError(.badMetadata, name, "_quantization_metadata is not valid JSON (\(error))")
        }
        guard let layers = value.objectValue?["layers"]?.objectValue else {
            throw QuantizationError(.badMetadata, name, "_quantization_metadata has no 'layers' object")
        }
        var result: [String: ComfyQuantConfig] = [:]
        for (layer, config) in layers.entries { result[layer] = try ComfyQuantConfig(config, name: layer) }
        return result
    }

    /// The FP8 dtype of the format, or nil for formats Bantam does not read.
    public var fp8DType: DType? {
        switch format {
        case "float8_e4m3fn": return .f8e4m3fn
        case "float8_e5m2": return .f8e5m2
        default: return nil
        }
    }
}
