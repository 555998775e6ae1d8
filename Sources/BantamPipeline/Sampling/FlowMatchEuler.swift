import BantamCore

/// One Euler step of the flow-matching ODE and the guidance combinations FLUX pipelines use, with the
/// roundings of diffusers' float32 code.
public enum FlowMatchEuler {
    /// `x + (σ_next − σ)·v` (FlowMatchEulerDiscreteScheduler.step): dt in float32, then `dt·v`, then the sum.
    public static func step(_ latents: Tensor, velocity: Tensor, sigma: Float, nextSigma: Float) throws -> Tensor {
        let dt = nextSigma - sigma
        return try latents + velocity * dt
    }

    /// True classifier-free guidance (FluxPipeline's `true_cfg_scale`): `v_neg + scale·(v_pos − v_neg)`.
    public static func trueCFG(positive: Tensor, negative: Tensor, scale: Float) throws -> Tensor {
        try negative + (try positive - negative) * scale
    }
}
