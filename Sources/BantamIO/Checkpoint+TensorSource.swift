import BantamCore

/// Checkpoints are the tensor sources model loaders read through.
extension Checkpoint: TensorSource {
    public var sourceDescription: String { path }
    public var keys: [String] { tensorNames }
    public func shape(of key: String) -> Shape? { info(key).map { Shape($0.shape) } }
    public func dtype(of key: String) -> DType? { info(key)?.dtype.runtime }
    public func load(_ key: String, on backend: any Backend) throws -> Tensor { try tensor(key, on: backend) }
}

extension SafetensorsFile: TensorSource {
    public var sourceDescription: String { path }
    public var keys: [String] { tensorNames.sorted() }
    public func shape(of key: String) -> Shape? { self[key].map { Shape($0.shape) } }
    public func dtype(of key: String) -> DType? { self[key]?.dtype.runtime }
    public func load(_ key: String, on backend: any Backend) throws -> Tensor { try tensor(key, on: backend) }
}
