import BantamCore

/// How FP8 weights are scaled.
public enum FP8Scaling: String, Sendable, CaseIterable {
    /// No scale: the weight is cast (ComfyUI's plain fp8 files, e.g. flux1-dev-fp8). Values beyond the
    /// format's range saturate; values below its smallest subnormal become 0.
    case none
    /// One scale for the whole tensor, max |W| / fp8max (ComfyUI scaled fp8 and comfy_quant files).
    case perTensor
    /// One scale per output row, max |W[row]| / fp8max (Bantam's in-memory FP8: the finest the FP8 linear
    /// takes, and what the GPU kernels rescale by per output column).
    case perRow
}

/// FP8 quantization and dequantization on host memory, bit-exact with torch 2.13:
/// `scale = amax / fp8max` (1 when amax is 0), `w8 = (w · (1 / scale)).to(fp8)`, `w = float(w8) · scale`
/// — ComfyUI's recipe (quant_ops `TensorCoreFP8Layout`), here also per row. The e4m3fn cast saturates at
/// ±448 as torch 2.13's does; e5m2 is clamped to ±57344 first (torch would give ±Inf beyond 61440, which a
/// weight never reaches after scaling).
public enum FP8Reference {
    /// The largest finite value of an FP8 dtype.
    public static func maxValue(_ dtype: DType) -> Float {
        dtype == .f8e5m2 ? FloatBits.f8e5m2Max : FloatBits.f8e4m3fnMax
    }

    /// The byte of `value` (already divided by its scale).
    @inlinable
    public static func encode(_ value: Float, as dtype: DType) -> UInt8 {
        dtype == .f8e5m2 ? FloatBits.f8e5m2Saturating(fromFloat: value) : FloatBits.f8e4m3fn(fromFloat: value)
    }

    /// The scale for values whose largest magnitude is `amax`: amax / fp8max, or 1 when amax is 0 (an
    /// all-zero row stays all zero).
    @inlinable
    public static func scale(amax: Float, dtype: DType) -> Float {
        amax > 0 ? amax / maxValue(dtype) : 1
    }

    /// max |x| over `count` values.
    public static func amax(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var m: Float = 0
        for i in 0..<count { m = max(m, abs(values[i])) }
        return m
    }

    /// bytes[i] = encode(values[i] · (1 / scale)) for `count` values (a plain cast when scale is 1).
    public static func quantize(_ values: UnsafePointer<Float>, count: Int, scale: Float, dtype: DType,
                                into bytes: UnsafeMutablePointer<UInt8>) {
        let reciprocal = 1 / scale
        if dtype == .f8e5m2 {
            for i in 0..<count { bytes[i] = FloatBits.f8e5m2Saturating(fromFloat: values[i] * reciprocal) }
        } else {
            for i in 0..<count { bytes[i] = FloatBits.f8e4m3fn(fromFloat: values[i] * reciprocal) }
        }
    }

    /// out[i] = float(bytes[i]) · scale in f32.
    public static func dequantize(_ bytes: UnsafePointer<UInt8>, count: Int, scale: Float, dtype: DType,
                                  into out: UnsafeMutablePointer<Float>) {
        let table = dtype == .f8e5m2 ? ElementConversion.f8e5m2Table : ElementConversion.f8e4m3fnTable
        table.withUnsafeBufferPointer { t in
            for i in 0..<count { out[i] = t[Int(bytes[i])] * scale }
        }
    }
}
