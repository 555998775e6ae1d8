/// Named tensors that can be loaded one at a time: a checkpoint file, a sharded set, a prefix of an
/// all-in-one file. Model loaders read through this protocol, so they never depend on a file format.
public protocol TensorSource: AnyObject, Sendable {
    /// Where the tensors come from, for messages (a path, or several).
    var sourceDescription: String { get }
    /// Every key, sorted.
    var keys: [String] { get }
    /// The stored shape of `key`, or nil when there is no such key.
    func shape(of key: String) -> Shape?
    /// The stored dtype of `key`; nil when absent or when the runtime cannot represent it.
    func dtype(of key: String) -> DType?
    /// The tensor on `backend` (zero-copy on the CPU where the source allows it).
    func load(_ key: String, on backend: any Backend) throws -> Tensor
    /// The file's `__metadata__` (safetensors), empty when there is none. Quantized files keep layer
    /// configurations there (ComfyUI `_quantization_metadata`).
    var metadata: [String: String] { get }
}

extension TensorSource {
    /// Sources without file metadata have none.
    public var metadata: [String: String] { [:] }
}

/// The keys of `base` that start with `prefix`, with the prefix removed (ComfyUI's
/// `model.diffusion_model.`, `text_encoders.t5xxl.transformer.`, `vae.` ...).
public final class PrefixedTensorSource: TensorSource, @unchecked Sendable {
    public let base: any TensorSource
    public let prefix: String
    public let keys: [String]

    public init(_ base: any TensorSource, prefix: String) {
        self.base = base
        self.prefix = prefix
        self.keys = base.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    public var sourceDescription: String { "\(base.sourceDescription) [\(prefix)*]" }
    /// The whole file's metadata (it is not split by prefix).
    public var metadata: [String: String] { base.metadata }
    public func shape(of key: String) -> Shape? { base.shape(of: prefix + key) }
    public func dtype(of key: String) -> DType? { base.dtype(of: prefix + key) }
    public func load(_ key: String, on backend: any Backend) throws -> Tensor { try base.load(prefix + key, on: backend) }
}

/// Tensors built in memory (tests, converted weights).
public final class InMemoryTensorSource: TensorSource, @unchecked Sendable {
    public let sourceDescription: String
    public let tensors: [String: Tensor]

    public init(_ tensors: [String: Tensor], description: String = "memory") {
        self.tensors = tensors
        self.sourceDescription = description
    }

    public var keys: [String] { tensors.keys.sorted() }
    public func shape(of key: String) -> Shape? { tensors[key]?.shape }
    public func dtype(of key: String) -> DType? { tensors[key]?.dtype }
    public func load(_ key: String, on backend: any Backend) throws -> Tensor {
        guard let t = tensors[key] else {
            throw TensorError.invalidArgument("\(sourceDescription): no tensor named '\(key)'")
        }
        return try t.to(backend)
    }
}
