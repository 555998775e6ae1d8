import BantamCore

/// The rows of `bantam doctor --self-test`, one group per op family. Kernel helpers: add a group for your
/// ops (in its own file, as an extension of `SelfTestCases`) and list it in `all`.
///
/// Every row draws fresh random inputs, runs on the device with poisoned fresh memory (0xFF bytes: NaN in
/// every float type), and compares with the CPU backend. Casts, copies and fills must match bit for bit.
public enum SelfTestCases {
    public static var all: [SelfTestCase] { standard + fullSize }

    /// Every row but the model-sized ones (which take seconds on the CPU reference).
    public static var standard: [SelfTestCase] {
        [transfers, casts, stridedCopies, integerCasts, specialValues, fills,
         elementwise, norms, ropeRows, reductions, spatial, gemm, attention].flatMap { $0 }
    }

    static let floatTypes: [DType] = [.f32, .f16, .bf16, .f8e4m3fn, .f8e5m2]

    /// Upload and download (several staging chunks, an odd size).
    static var transfers: [SelfTestCase] {
        [SelfTestCase("download + upload f32 [10485763] (40 MiB)", op: .copy, dtype: .f32, tolerance: .exact,
                      inputs: { [try $0.tensor([10_485_763], dtype: .f32)] },
                      run: { try $0[0].to(SelfTest.reference).to($0[0].backend) })]
    }

    /// Contiguous casts between every pair of float types (the vectorized kernels, with a tail).
    static var casts: [SelfTestCase] {
        floatTypes.flatMap { from in
            floatTypes.map { to in
                SelfTestCase("cast \(from)→\(to) [4099]", op: .copy, dtype: from, tolerance: .exact,
                             inputs: { [try $0.tensor([4099], dtype: from, scale: 50)] },
                             run: { try $0[0].cast(to: to).contiguous() })
            }
        }
    }

    /// Strided sources and destinations (the generic kernel): permuted, sliced, unaligned.
    static var stridedCopies: [SelfTestCase] {
        let pairs: [(DType, DType)] = [(.f32, .bf16), (.bf16, .f32), (.f16, .f8e4m3fn), (.f8e4m3fn, .f32),
                                       (.f32, .f32), (.bf16, .bf16), (.i64, .i64), (.f64, .f16)]
        var cases = pairs.map { from, to in
            SelfTestCase("copy \(from)→\(to) permuted [33, 17, 5]", op: .copy, dtype: from, tolerance: .exact,
                         inputs: { [try $0.tensor([33, 17, 5], dtype: from, scale: 20)] },
                         run: { try $0[0].permute(2, 0, 1).cast(to: to).contiguous() })
        }
        cases.append(SelfTestCase("copy f32→bf16 unaligned slice [4098]", op: .copy, dtype: .f32, tolerance: .exact,
                                  inputs: { [try $0.tensor([4100], dtype: .f32)] },
                                  run: { try $0[0].slice(axis: 0, 1..<4099).cast(to: .bf16) }))
        cases.append(SelfTestCase("concat bf16 [7, 129] + [7, 3] on axis 1", op: .copy, dtype: .bf16, tolerance: .exact,
                                  inputs: { [try $0.tensor([7, 129], dtype: .bf16), try $0.tensor([7, 3], dtype: .bf16)] },
                                  run: { try concat($0, axis: 1) }))
        cases.append(SelfTestCase("copy f32 broadcast [1, 17] → [9, 17]", op: .copy, dtype: .f32, tolerance: .exact,
                                  inputs: { [try $0.tensor([1, 17], dtype: .f32)] },
                                  run: { try $0[0].expand(to: [9, 17]).contiguous() }))
        // Same dtype, rows kept: 16-byte and 4-byte units.
        cases.append(SelfTestCase("permute bf16 [2, 33, 24, 128] → [2, 24, 33, 128]", op: .copy, dtype: .bf16, tolerance: .exact,
                                  inputs: { [try $0.tensor([2, 33, 24, 128], dtype: .bf16)] },
                                  run: { try $0[0].permute(0, 2, 1, 3).contiguous() }))
        cases.append(SelfTestCase("permute bf16 [5, 7, 6] → [7, 5, 6]", op: .copy, dtype: .bf16, tolerance: .exact,
                                  inputs: { [try $0.tensor([5, 7, 6], dtype: .bf16)] },
                                  run: { try $0[0].permute(1, 0, 2).contiguous() }))
        // Transposes (tiled kernel), with and without casts, batched, odd sizes.
        for (from, to, shape) in [(DType.f32, DType.f32, [67, 45]), (.f32, .bf16, [129, 33]), (.f64, .f64, [130, 17]),
                                  (.f8e4m3fn, .f16, [40, 200]), (.i8, .i32, [33, 65])] {
            cases.append(SelfTestCase("transpose \(from)→\(to) \(shape)ᵀ", op: .copy, dtype: from, tolerance: .exact,
                                      inputs: { [try $0.tensor(Shape(shape), dtype: from, scale: 30)] },
                                      run: { try $0[0].T.cast(to: to).contiguous() }))
        }
        cases.append(SelfTestCase("transpose bf16 batched [3, 40, 33] → [3, 33, 40]", op: .copy, dtype: .bf16, tolerance: .exact,
                                  inputs: { [try $0.tensor([3, 40, 33], dtype: .bf16)] },
                                  run: { try $0[0].permute(0, 2, 1).contiguous() }))
        cases.append(SelfTestCase("transpose f16 [4, 9, 50, 3] → [50, 4, 3, 9]", op: .copy, dtype: .f16, tolerance: .exact,
                                  inputs: { [try $0.tensor([4, 9, 50, 3], dtype: .f16)] },
                                  run: { try $0[0].permute(2, 0, 3, 1).contiguous() }))
        cases.append(SelfTestCase("copy f16 rank 6 [2, 3, 2, 3, 2, 3] transposed", op: .copy, dtype: .f16, tolerance: .exact,
                                  inputs: { [try $0.tensor([2, 3, 2, 3, 2, 3], dtype: .f16)] },
                                  run: { try $0[0].permute(5, 3, 1, 4, 2, 0).contiguous() }))
        return cases
    }

    /// Integer and f64 conversions (truncation, clamping, wrap-around, bool).
    static var integerCasts: [SelfTestCase] {
        let pairs: [(DType, DType, Float)] = [
            (.f32, .i32, 3e9), (.f32, .i8, 300), (.f32, .u8, 300), (.f32, .bool, 2), (.f32, .i64, 1e19),
            (.i32, .f32, 1e9), (.i64, .i32, 1e12), (.i32, .i8, 1000), (.u8, .f16, 100), (.bool, .f32, 1),
            (.i16, .bf16, 30000), (.f64, .f32, 1e30), (.f32, .f64, 1e30), (.f64, .i64, 1e19), (.i8, .i64, 100),
            (.i64, .f64, 1e15), (.bf16, .i16, 40000),
        ]
        return pairs.map { from, to, scale in
            SelfTestCase("cast \(from)→\(to) [1031]", op: .copy, dtype: from, tolerance: .exact,
                         inputs: { [try $0.tensor([1031], dtype: from, scale: scale)] },
                         run: { try $0[0].cast(to: to).contiguous() })
        }
    }

    /// Every bit pattern of the small formats, and random f32 bit patterns (NaN, Inf, subnormals).
    static var specialValues: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        for (from, count) in [(DType.f16, 65536), (.bf16, 65536), (.f8e4m3fn, 256), (.f8e5m2, 256), (.f32, 65537)] {
            for to in floatTypes where to != from {
                cases.append(SelfTestCase("cast \(from)→\(to) random bit patterns [\(count)]", op: .copy, dtype: from,
                                          tolerance: .exact,
                                          inputs: { [try $0.bitsTensor([count], dtype: from)] },
                                          run: { try $0[0].cast(to: to).contiguous() }))
            }
        }
        return cases
    }

    /// Fills: every dtype contiguous, and strided views (8-byte elements too).
    static var fills: [SelfTestCase] {
        let dtypes: [DType] = [.f64, .f32, .f16, .bf16, .f8e4m3fn, .f8e5m2, .i64, .i32, .i16, .i8, .u8, .bool]
        var cases = dtypes.map { dtype in
            SelfTestCase("fill \(dtype) [1027]", op: .fill, dtype: dtype, tolerance: .exact,
                         inputs: { rng in [try Tensor([rng.uniform(-300, 300)], shape: [1], dtype: .f32, on: SelfTest.reference)] },
                         run: { inputs in
                             let value = try inputs[0].floats()[0]
                             return try Tensor.full(value, shape: [1027], dtype: dtype, on: inputs[0].backend)
                         })
        }
        for dtype in [DType.f32, .bf16, .f64, .i64, .u8] {
            cases.append(SelfTestCase("fill \(dtype) strided view of [6, 10, 7]", op: .fill, dtype: dtype, tolerance: .exact,
                                      inputs: { rng in [try Tensor([rng.uniform(-100, 100), rng.uniform(-100, 100)], shape: [2],
                                                                   dtype: .f32, on: SelfTest.reference)] },
                                      run: { inputs in
                                          let values = try inputs[0].floats()
                                          let backend = inputs[0].backend
                                          let out = try Tensor.full(values[0], shape: [6, 10, 7], dtype: dtype, on: backend)
                                          let view = try out.permute(2, 0, 1).slice(axis: 2, 2..<9)
                                          try backend.fill(view, value: values[1])
                                          return out
                                      }))
        }
        return cases
    }
}
