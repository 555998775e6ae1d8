/// Errors of the tensor runtime. Each message is one line that says what is wrong and, where it can,
/// what to do about it.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Shapes that an op cannot combine (`op` names the op, `detail` the shapes).
    case shapeMismatch(op: String, detail: String)
    /// An op received a dtype it does not take, or two inputs with different dtypes.
    case dtypeMismatch(op: String, detail: String)
    /// The backend does not implement this op for these inputs. Never silently replaced by another path.
    case unsupported(backend: String, op: String, detail: String)
    /// Tensors that live on different backends were given to one op.
    case backendMismatch(op: String, detail: String)
    /// A device allocation that does not fit (the message names the request and the budget).
    case outOfMemory(String)
    /// Any other invalid argument (an axis out of range, a negative size, ...).
    case invalidArgument(String)
    /// A backend failed while running an op (a driver error, a failed launch).
    case backendFailure(backend: String, detail: String)

    public var description: String {
        switch self {
        case .shapeMismatch(let op, let detail): return "\(op): shape mismatch: \(detail)"
        case .dtypeMismatch(let op, let detail): return "\(op): dtype mismatch: \(detail)"
        case .unsupported(let backend, let op, let detail):
            return "\(op) is not supported by the \(backend) backend: \(detail)"
        case .backendMismatch(let op, let detail): return "\(op): tensors on different backends: \(detail)"
        case .outOfMemory(let message): return "out of memory: \(message)"
        case .invalidArgument(let message): return message
        case .backendFailure(let backend, let detail): return "\(backend) backend failed: \(detail)"
        }
    }
}
