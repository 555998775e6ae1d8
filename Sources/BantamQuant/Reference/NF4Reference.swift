/// NF4 quantization and dequantization on host memory, bit-exact with bitsandbytes 0.50.2
/// (backends/default/ops.py `quantize_4bit` / `_dequantize_4bit_compute`, which its CPU path runs).
///
/// Elements are taken in flat (row-major) order in blocks of `blockSize`; element 2j goes to the high
/// nibble of byte j and element 2j+1 to the low nibble.
public enum NF4Reference {
    /// Quantizes `count` values. Writes ceil(count / 2) packed bytes to `codes` and ceil(count / blockSize)
    /// absmax values to `absmax`. As bitsandbytes:
    /// - a full block stores absmax = max |x| (0 for an all-zero block) and scales by
    ///   `x · (1 / max(absmax, 1e-38))`;
    /// - a partial last block stores absmax = max(max |x|, 1e-38) and scales by `x / absmax`;
    /// - scaled values are clamped to [-1, 1] and take the code of `NF4Codebook.code(of:)`;
    /// - an odd count is padded with one zero value (code 7).
    public static func quantize(_ values: UnsafePointer<Float>, count: Int, blockSize: Int,
                                codes: UnsafeMutablePointer<UInt8>, absmax: UnsafeMutablePointer<Float>) {
        let tiny: Float = 1e-38
        let blocks = (count + blockSize - 1) / blockSize
        NF4Codebook.midpoints.withUnsafeBufferPointer { m in
            let midpoints = m.baseAddress!
            var pending: UInt8 = 0
            for b in 0..<blocks {
                let start = b * blockSize, end = min(count, start + blockSize)
                var amax: Float = 0
                for i in start..<end { amax = max(amax, abs(values[i])) }
                let full = end - start == blockSize
                let reciprocal = 1 / max(amax, tiny)
                let divisor = max(amax, tiny)
                absmax[b] = full ? amax : divisor
                // Blocks start on even elements (block sizes are even), so a full block fills whole bytes.
                if full && start & 1 == 0 {
                    var i = start
                    while i < end {
                        let hi = NF4Codebook.code(of: min(max(values[i] * reciprocal, -1), 1), midpoints: midpoints)
                        let lo = NF4Codebook.code(of: min(max(values[i + 1] * reciprocal, -1), 1), midpoints: midpoints)
                        codes[i >> 1] = hi << 4 | lo
                        i += 2
                    }
                    continue
                }
                for i in start..<end {
                    let scaled = full ? values[i] * reciprocal : values[i] / divisor
                    let code = NF4Codebook.code(of: min(max(scaled, -1), 1), midpoints: midpoints)
                    if i & 1 == 0 { pending = code << 4 } else { codes[i >> 1] = pending | code }
                }
            }
            if count & 1 == 1 { codes[count >> 1] = pending | 7 }
        }
    }

    /// Only the absmax of each block, as `quantize` stores it (for writers that emit the absmax tensor
    /// before the codes).
    public static func absmax(_ values: UnsafePointer<Float>, count: Int, blockSize: Int,
                              into absmax: UnsafeMutablePointer<Float>) {
        let blocks = (count + blockSize - 1) / blockSize
        for b in 0..<blocks {
            let start = b * blockSize, end = min(count, start + blockSize)
            var amax: Float = 0
            for i in start..<end { amax = max(amax, abs(values[i])) }
            absmax[b] = end - start == blockSize ? amax : max(amax, 1e-38)
        }
    }

    /// value[e] = map[code e] · absmax[e / blockSize] in f32, for e in 0..<count (the f32 result
    /// bitsandbytes computes before casting to the layer's dtype).
    public static func dequantize(codes: UnsafePointer<UInt8>, absmax: UnsafePointer<Float>, count: Int, blockSize: Int,
                                  map: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        for e in 0..<count {
            let byte = codes[e >> 1]
            let nibble = e & 1 == 0 ? byte >> 4 : byte & 0x0F
            out[e] = map[Int(nibble)] * absmax[e / blockSize]
        }
    }

    /// bitsandbytes v1 ("double quant") absmax back to f32: `nestedMap[q[i]] · nestedAbsmax[i / nestedBlock]
    /// + offset`, the product and the sum each rounded to f32 (`dequantize_blockwise` then `absmax += offset`).
    public static func dequantizeNestedAbsmax(_ quantized: UnsafePointer<UInt8>, count: Int,
                                              nestedAbsmax: UnsafePointer<Float>, nestedBlockSize: Int,
                                              nestedMap: UnsafePointer<Float>, offset: Float,
                                              into out: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            let scaled = nestedMap[Int(quantized[i])] * nestedAbsmax[i / nestedBlockSize]
            out[i] = scaled + offset
        }
    }
}
