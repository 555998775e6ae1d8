import BantamCore

/// How a quantized weight's stored values become f32 inside the GEMM (GEMMPacking, GEMMSmallM).
///
/// The weight [N, K] is the GEMM's B operand seen transposed: its rows are B's lanes (columns of the
/// product) and its columns the K steps. Every element is dequantized exactly as the reference
/// dequantizers in BantamQuant do it — one f32 product, `table[byte] · scale` or `map[nibble] · absmax` —
/// so a quantized linear equals `linear` with the dequantized f32 weight, bit for bit.
enum QuantizedLanes: @unchecked Sendable {
    /// FP8 codes, one byte per element decoded by `table` (256 entries), times the scale of the lane
    /// (one per weight row).
    case scaledFP8(table: UnsafePointer<Float>, scales: UnsafePointer<Float>)
    /// NF4: the element at flat index e (counted in nibbles from the operand's base, which starts on a
    /// byte) is `map[nibble e] · absmax[e / blockSize]`; nibble 2j is the high half of byte j.
    case nf4(map: UnsafePointer<Float>, absmax: UnsafePointer<Float>, blockSize: Int)

    /// Fills a packed panel: dst[p·width + l] = value(lane0 + l, depth0 + p) for l < lanes, p < depth.
    func pack(_ src: GemmPacking.Source, lane0: Int, lanes: Int, width: Int, depth0: Int, depth: Int,
              into dst: UnsafeMutablePointer<Float>) {
        if src.depthStride == 1 {
            // The usual case: each lane is a contiguous weight row.
            for l in 0..<lanes {
                decodeLane(src.base, lane: lane0 &+ l, laneStride: src.laneStride, depth0: depth0, count: depth,
                           into: dst + l, stride: width)
            }
            return
        }
        for l in 0..<lanes {
            for p in 0..<depth {
                let e = (lane0 &+ l) &* src.laneStride &+ (depth0 &+ p) &* src.depthStride
                dst[p &* width &+ l] = value(src.base, flat: e, lane: lane0 &+ l)
            }
        }
    }

    /// out[p·stride] = value(lane, depth0 + p) for p < count, for a lane that is contiguous along K.
    func decodeLane(_ base: UnsafeRawPointer, lane: Int, laneStride: Int, depth0: Int, count: Int,
                    into out: UnsafeMutablePointer<Float>, stride: Int = 1) {
        let first = lane &* laneStride &+ depth0
        switch self {
        case .scaledFP8(let table, let scales):
            let bytes = base.assumingMemoryBound(to: UInt8.self) + first
            let scale = scales[lane]
            for p in 0..<count { out[p &* stride] = table[Int(bytes[p])] * scale }
        case .nf4(let map, let absmax, let blockSize):
            let codes = base.assumingMemoryBound(to: UInt8.self)
            if first & 1 == 0 && count & 1 == 0 {
                // Whole bytes (block sizes are even, so a byte never straddles two blocks): two values per
                // byte, the block's scale looked up once per byte.
                for j in 0..<(count &>> 1) {
                    let e = first &+ 2 &* j
                    let scale = absmax[e / blockSize], byte = codes[e &>> 1]
                    out[(2 &* j) &* stride] = map[Int(byte &>> 4)] * scale
                    out[(2 &* j &+ 1) &* stride] = map[Int(byte & 0x0F)] * scale
                }
                return
            }
            // Walk the flat index with the block's scale in hand, switching at block boundaries.
            var e = first
            var blockEnd = (e / blockSize &+ 1) &* blockSize
            var scale = absmax[e / blockSize]
            for p in 0..<count {
                if e == blockEnd {
                    scale = absmax[e / blockSize]
                    blockEnd &+= blockSize
                }
                let byte = codes[e &>> 1]
                let nibble = e & 1 == 0 ? byte &>> 4 : byte & 0x0F
                out[p &* stride] = map[Int(nibble)] * scale
                e &+= 1
            }
        }
    }

    /// One element at flat index `flat` of the lane `lane`.
    @inline(__always)
    private func value(_ base: UnsafeRawPointer, flat e: Int, lane: Int) -> Float {
        switch self {
        case .scaledFP8(let table, let scales):
            return table[Int(base.load(fromByteOffset: e, as: UInt8.self))] * scales[lane]
        case .nf4(let map, let absmax, let blockSize):
            let byte = base.load(fromByteOffset: e &>> 1, as: UInt8.self)
            let nibble = e & 1 == 0 ? byte &>> 4 : byte & 0x0F
            return map[Int(nibble)] * absmax[e / blockSize]
        }
    }

    /// The FP8 decode tables as stable pointers (made once, never freed).
    static var e4m3fnTable: UnsafePointer<Float> { tables.value.0 }
    static var e5m2Table: UnsafePointer<Float> { tables.value.1 }
    private static let tables = UncheckedSendable((stablePointer(ElementConversion.f8e4m3fnTable),
                                                   stablePointer(ElementConversion.f8e5m2Table)))

    private static func stablePointer(_ values: [Float]) -> UnsafePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        return UnsafePointer(p)
    }
}
