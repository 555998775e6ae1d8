import BantamCore
import BantamNN

extension FluxTransformer {
    /// BFL `MLPEmbedder` (src/flux/modules/layers.py): `out_layer(silu(in_layer(x)))`. Embeds the sinusoidal
    /// timestep (`time_in`), the guidance value (`guidance_in`) and CLIP's pooled vector (`vector_in`).
    public struct MLPEmbedder: Sendable {
        public let inLayer: Linear    // in_layer  [hidden, in]
        public let outLayer: Linear   // out_layer [hidden, hidden]

        public init(_ scope: WeightScope, in inDim: Int, hidden: Int) throws {
            inLayer = try Linear(scope.child("in_layer"), in: inDim, out: hidden)
            outLayer = try Linear(scope.child("out_layer"), in: hidden, out: hidden)
        }

        /// [B, in] -> [B, hidden]
        public func callAsFunction(_ x: Tensor) throws -> Tensor {
            try outLayer(try silu(try inLayer(x)))
        }
    }
}
