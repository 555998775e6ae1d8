import BantamCore
import BantamNN

extension FluxTransformer {
    /// BFL `LastLayer` (src/flux/modules/layers.py): a modulated LayerNorm whose (shift, scale) come from
    /// `adaLN_modulation` = Sequential(SiLU, Linear) (hence the Linear's index 1), then `linear` to the
    /// output channels. (diffusers stores the Linear as `norm_out.linear` with the halves swapped, [scale;
    /// shift]; the diffusers layout swaps them back on load.)
    public struct LastLayer: Sendable {
        public let adaLNModulation: Linear   // adaLN_modulation.1 [2·hidden, hidden], rows [shift; scale]
        public let linear: Linear            // [out, hidden]

        public static let normEps: Float = 1e-6

        public init(_ scope: WeightScope, hidden: Int, outChannels: Int) throws {
            adaLNModulation = try Linear(scope.child("adaLN_modulation").child(1), in: hidden, out: 2 * hidden)
            linear = try Linear(scope.child("linear"), in: hidden, out: outChannels)
        }

        /// x [B, L, hidden], vec [B, hidden] -> [B, L, out]
        public func callAsFunction(_ x: Tensor, vec: Tensor) throws -> Tensor {
            let parts = try adaLNModulation(try silu(vec)).chunk(2, axis: 1)        // 2 × [B, hidden]
            let shift = try parts[0].unsqueeze(1), scale = try parts[1].unsqueeze(1)   // [B, 1, hidden]
            let modulated = try modulatedLayerNorm(x, shift: shift, scale: scale, eps: Self.normEps)
            return try linear(modulated)
        }
    }
}
