/// The NF4 code table of bitsandbytes (`get_4bit_type("nf4")`, formats.md §5.3) and the decision points
/// its quantizer uses.
public enum NF4Codebook {
    /// Code i's value, as the f32 numbers bitsandbytes stores (its `quant_map`). Sorted ascending; code 7 is 0.
    public static let values: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// The 15 midpoints between neighbouring codes, computed as bitsandbytes does in f32:
    /// `(code[:-1] + code[1:]) / 2` (backends/default/ops.py `_get_4bit_quantize_bounds`).
    public static let midpoints: [Float] = (0..<15).map { (values[$0] + values[$0 + 1]) / 2 }

    /// The code of a scaled value in [-1, 1]: the number of midpoints strictly below it, which is
    /// `torch.bucketize(x, midpoints)` (right=False) — a value exactly on a midpoint takes the lower code.
    /// NaN takes code 0, as bucketize's binary search does.
    @inlinable
    public static func code(of scaled: Float, midpoints m: UnsafePointer<Float>) -> UInt8 {
        // A binary search over the 15 sorted midpoints, four comparisons: after step s, c counts the
        // midpoints below `scaled` among those the remaining steps no longer look at.
        var c = scaled > m[7] ? 8 : 0
        c &+= scaled > m[c &+ 3] ? 4 : 0
        c &+= scaled > m[c &+ 1] ? 2 : 0
        c &+= scaled > m[c] ? 1 : 0
        return UInt8(truncatingIfNeeded: c)
    }
}
