import BantamCore

/// Float64 references of the fused norm ops (exact math, no intermediate rounding).
extension Reference {
    /// (1 + scale)·LayerNorm(x) + shift for x [b, l, d] and shift, scale [b, d] (row-major).
    public static func modulatedLayerNorm(_ x: [Double], b: Int, l: Int, d: Int, shift: [Double], scale: [Double],
                                          eps: Double) -> [Double] {
        let normalized = layerNorm(x, d: d, weight: nil, bias: nil, eps: eps)
        return normalized.indices.map { i in
            let (sample, feature) = (i / (l * d), i % d)
            return (1 + scale[sample * d + feature]) * normalized[i] + shift[sample * d + feature]
        }
    }

    /// x + gate·y for x, y [b, l, d] and gate [b, d].
    public static func gatedResidual(_ x: [Double], gate: [Double], _ y: [Double], l: Int, d: Int) -> [Double] {
        x.indices.map { i in x[i] + gate[i / (l * d) * d + i % d] * y[i] }
    }

    /// rope(rmsNorm(x, weight)) for x [rows, l, d] (rows = B·H), weight [d], cos, sin [l, d/2].
    public static func qkNormRope(_ x: [Double], weight: [Double], cos: [Double], sin: [Double], rows: Int, l: Int, d: Int,
                                  eps: Double, style: RopeStyle) -> [Double] {
        referenceRope(x: rmsNorm(x, d: d, weight: weight, eps: eps), cos: cos, sin: sin, rows: rows, l: l, d: d, style: style)
    }
}
