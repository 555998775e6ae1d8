import BantamCore
import BantamNN

extension FluxTransformer {
    /// One adaptive-LayerNorm modulation: `(1 + scale) · x + shift`, and the `gate` of the residual branch
    /// (BFL `ModulationOut`). Each part is [B, 1, hidden], broadcast over the sequence.
    public struct ModulationOut: Sendable {
        public let shift: Tensor
        public let scale: Tensor
        public let gate: Tensor

        /// x [B, L, hidden] -> (1 + scale) · x + shift
        public func modulate(_ x: Tensor) throws -> Tensor {
            try (1 + scale) * x + shift
        }

        /// x [B, L, hidden] -> (1 + scale) · LayerNorm(x) + shift (no affine parameters), one fused op:
        /// the same values as `modulate(layerNorm(x, eps:))`.
        public func modulatedNorm(_ x: Tensor, eps: Float) throws -> Tensor {
            try modulatedLayerNorm(x, shift: shift, scale: scale, eps: eps)
        }

        /// x + gate · y for x, y [B, L, hidden] (the gated residual), one fused op.
        public func gated(_ x: Tensor, _ y: Tensor) throws -> Tensor {
            try gatedResidual(x, gate: gate, y)
        }
    }

    /// BFL `Modulation` (src/flux/modules/layers.py): `lin(silu(vec))` cut into chunks of `hidden` in the
    /// order (shift, scale, gate) — two sets in double blocks (attention, MLP), one in single blocks.
    public struct Modulation: Sendable {
        public let lin: Linear   // [multiplier · hidden, hidden]
        public let isDouble: Bool

        public init(_ scope: WeightScope, dim: Int, double isDouble: Bool) throws {
            self.isDouble = isDouble
            lin = try Linear(scope.child("lin"), in: dim, out: (isDouble ? 6 : 3) * dim)
        }

        /// vec [B, hidden] -> [mod1, mod2] for double blocks, [mod] for single blocks (views of one
        /// [B, (6|3)·hidden] tensor).
        public func callAsFunction(_ vec: Tensor) throws -> [ModulationOut] {
            let out = try lin(try silu(vec))                                                  // [B, (6|3)·hidden]
            let parts = try out.chunk(isDouble ? 6 : 3, axis: 1).map { try $0.unsqueeze(1) }   // each [B, 1, hidden]
            return stride(from: 0, to: parts.count, by: 3).map {
                ModulationOut(shift: parts[$0], scale: parts[$0 + 1], gate: parts[$0 + 2])
            }
        }
    }
}
