/// Validation shared by the ops: one backend, supported dtypes, matching dtypes.
@usableFromInline
enum OpChecks {
    /// The backend all tensors live on; throws naming the op when they differ.
    static func commonBackend(_ op: String, _ tensors: [Tensor?]) throws -> any Backend {
        let present = tensors.compactMap { $0 }
        guard let first = present.first else { throw TensorError.invalidArgument("\(op): no input tensors") }
        for t in present.dropFirst() where t.backend !== first.backend {
            throw TensorError.backendMismatch(op: op, detail: "\(first.backend.name) and \(t.backend.name); move one with .to(_:)")
        }
        return first.backend
    }

    /// Throws `unsupported` unless the backend runs `kind` for `dtype`.
    static func requireSupport(_ backend: any Backend, _ kind: OpKind, _ dtype: DType, op: String) throws {
        guard backend.supports(kind, dtype: dtype) else {
            throw TensorError.unsupported(backend: backend.name, op: op, detail: "no \(kind.rawValue) kernel for \(dtype) inputs")
        }
    }

    static func requireSameDType(_ op: String, _ a: Tensor, _ b: Tensor) throws {
        guard a.dtype == b.dtype else {
            throw TensorError.dtypeMismatch(op: op, detail: "expected \(a.dtype) but got \(b.dtype); cast one with .cast(to:)")
        }
    }

    static func requireFloat(_ op: String, _ t: Tensor, role: String = "input") throws {
        guard t.dtype.isComputeFloat else {
            throw TensorError.dtypeMismatch(op: op, detail: "\(role) is \(t.dtype); expected f32, f16 or bf16")
        }
    }

    static func requireRank(_ op: String, _ t: Tensor, _ rank: Int, role: String = "input", layout: String = "") throws {
        guard t.rank == rank else {
            let expected = layout.isEmpty ? "rank \(rank)" : layout
            throw TensorError.shapeMismatch(op: op, detail: "\(role) has shape \(t.shape); expected \(expected)")
        }
    }

    /// A vector parameter (norm weight/bias) of `size` elements.
    static func requireVector(_ op: String, _ t: Tensor?, size: Int, role: String) throws {
        guard let t else { return }
        guard t.rank == 1, t.shape[0] == size else {
            throw TensorError.shapeMismatch(op: op, detail: "\(role) has shape \(t.shape); expected [\(size)]")
        }
        guard t.dtype.isComputeFloat else {
            throw TensorError.dtypeMismatch(op: op, detail: "\(role) is \(t.dtype); expected f32, f16 or bf16")
        }
    }
}
