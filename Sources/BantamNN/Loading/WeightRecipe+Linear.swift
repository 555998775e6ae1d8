import BantamCore
import BantamQuant

extension WeightRecipe {
    /// Builds a Linear weight in its stored format. Keys that are plain tensors load as before; quantized
    /// parts are combined in their format where it can express the operation: rows are sliced, stacked and
    /// swapped (FP8 always; NF4 on whole blocks), and a mix of formats is stacked densely in f32. Joining
    /// or slicing quantized columns throws a `QuantizationError` naming `name`.
    public func loadLinear(from source: QuantizedTensorSource, on backend: any Backend, name: String) throws -> LinearWeight {
        if !keys.contains(where: { source.isQuantized($0) }) {
            return .dense(try load(from: source, on: backend))
        }
        switch self {
        case .key(let k):
            return try source.linearWeight(k, on: backend)
        case .concat(let parts, let axis):
            let loaded = try parts.map { try $0.loadLinear(from: source, on: backend, name: name) }
            guard axis == 0 else {
                throw QuantizationError(.unsupportedLayout, name, "quantized parts cannot be joined along axis \(axis) (only output rows); load this layer in bf16")
            }
            return try LinearWeight.concatRows(loaded, name: name)
        case .slice(let r, let axis, let range):
            guard axis == 0 else {
                throw QuantizationError(.unsupportedLayout, name, "a quantized weight cannot be sliced along axis \(axis) (only output rows); load this layer in bf16")
            }
            return try r.loadLinear(from: source, on: backend, name: name).rows(range, name: name)
        case .swapHalves(let r, let axis):
            let w = try r.loadLinear(from: source, on: backend, name: name)
            guard axis == 0, w.outFeatures % 2 == 0 else {
                throw QuantizationError(.unsupportedLayout, name, "a quantized weight can only swap the halves of its output rows; load this layer in bf16")
            }
            let half = w.outFeatures / 2
            return try LinearWeight.concatRows([try w.rows(half..<(2 * half), name: name), try w.rows(0..<half, name: name)],
                                               name: name)
        case .unsqueeze:
            throw QuantizationError(.unsupportedLayout, name, "a quantized weight cannot take a new axis; it is used as a Linear weight [out, in]")
        }
    }
}
