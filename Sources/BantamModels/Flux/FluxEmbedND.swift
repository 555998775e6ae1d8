#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BantamCore

extension FluxTransformer {
    /// RoPE angles for n-axis position ids, BFL `EmbedND` + `rope` (src/flux/modules/layers.py, math.py).
    ///
    /// Axis i (dim d_i) contributes d_i/2 frequency pairs: ω_j = 1 / θ^(2j / d_i), angle = pos_i · ω_j. The
    /// axes are concatenated, so pair j of a head rotates by the angle of the axis it falls in (FLUX.1:
    /// 8 pairs for the index axis, 28 for rows, 28 for columns; 64 pairs = head size 128). The rotation
    /// itself is `rope(_:cos:sin:style: .interleaved)`: pairs (x[2j], x[2j+1]).
    ///
    /// Precision: like the reference (and diffusers, ComfyUI), ω and the angles are computed in f64 from the
    /// f32 position ids, cos and sin in f64, then rounded to f32. The tables are a small host computation
    /// ([L, headDim/2]) uploaded once per forward.
    public struct EmbedND: Sendable, Equatable {
        /// Features per head (the sum of `axesDim`).
        public let dim: Int
        public let theta: Double
        public let axesDim: [Int]

        public init(dim: Int, theta: Double, axesDim: [Int]) {
            self.dim = dim
            self.theta = theta
            self.axesDim = axesDim
        }

        /// ids [L, axes] (any float dtype, any backend) -> cos, sin [L, dim/2] (f32, same backend).
        public func callAsFunction(_ ids: Tensor) throws -> (cos: Tensor, sin: Tensor) {
            guard ids.rank == 2, ids.shape[1] == axesDim.count else {
                throw TensorError.shapeMismatch(op: "FLUX EmbedND",
                                                detail: "position ids have shape \(ids.shape); expected [L, \(axesDim.count)]")
            }
            return try embed(ids: try ids.floats(), length: ids.shape[0], on: ids.backend)
        }

        /// ids [length, axes] given row-major on the host -> cos, sin [length, dim/2] (f32) on `backend`.
        public func embed(ids: [Float], length: Int, on backend: any Backend) throws -> (cos: Tensor, sin: Tensor) {
            guard ids.count == length * axesDim.count else {
                throw TensorError.shapeMismatch(op: "FLUX EmbedND",
                                                detail: "\(ids.count) position values for \(length) positions of \(axesDim.count) axes")
            }
            let (cos, sin) = tables(ids: ids, length: length)
            return (try Tensor(cos, shape: [length, dim / 2], on: backend),
                    try Tensor(sin, shape: [length, dim / 2], on: backend))
        }

        /// The cos and sin tables [length, dim/2] (row-major) for ids [length, axes] given row-major.
        public func tables(ids: [Float], length: Int) -> (cos: [Float], sin: [Float]) {
            let pairs = dim / 2, axes = axesDim.count
            // ω per pair, axis after axis: 1 / θ^(2j / d_i), j = 0 ..< d_i/2.
            var omega: [Double] = []
            var axisOfPair: [Int] = []
            for (axis, d) in axesDim.enumerated() {
                for j in 0..<(d / 2) {
                    omega.append(1.0 / pow(theta, Double(2 * j) / Double(d)))
                    axisOfPair.append(axis)
                }
            }
            var cosTable = [Float](repeating: 0, count: length * pairs)
            var sinTable = [Float](repeating: 0, count: length * pairs)
            for l in 0..<length {
                for j in 0..<min(pairs, omega.count) {
                    let angle = Double(ids[l * axes + axisOfPair[j]]) * omega[j]
                    cosTable[l * pairs + j] = Float(cos(angle))
                    sinTable[l * pairs + j] = Float(sin(angle))
                }
            }
            return (cosTable, sinTable)
        }
    }
}
