import BantamCore
import BantamNN

/// Loads a text encoder's parameters so that everything the activations meet has one dtype.
///
/// The activations take the dtype of the token embedding as loaded (the precision policy's compute dtype,
/// else the stored one; FP8 tables become bf16). Norm weights, biases, position tables and T5's bias table
/// are cast to it, so a file that stores them in another dtype (an fp8 T5 with f16 norms, an f16 file
/// with f32 norms) still runs, as transformers does after loading everything in one `torch_dtype`.
/// Linear weights stay as loaded: `linear` takes them in their own dtype (FP8 weight-only included).
struct TextEncoderWeights {
    /// The dtype of the activations.
    let dtype: DType

    /// A parameter that the activations meet directly, cast to `dtype`.
    func tensor(_ scope: WeightScope, _ name: String, shape: Shape) throws -> Tensor {
        try scope.tensor(name, shape: shape).cast(to: dtype)
    }

    /// `<scope>.weight` [out, in] and optionally `<scope>.bias` [out].
    func linear(_ scope: WeightScope, in inFeatures: Int, out outFeatures: Int, bias: Bool) throws -> Linear {
        let weight = try scope.tensor("weight", shape: [outFeatures, inFeatures], role: .linearWeight)
        return Linear(weight: weight, bias: bias ? try tensor(scope, "bias", shape: [outFeatures]) : nil)
    }

    /// A LayerNorm with `<scope>.weight` and `<scope>.bias` [dim].
    func layerNorm(_ scope: WeightScope, dim: Int, eps: Float) throws -> LayerNorm {
        LayerNorm(weight: try tensor(scope, "weight", shape: [dim]), bias: try tensor(scope, "bias", shape: [dim]), eps: eps)
    }
}
