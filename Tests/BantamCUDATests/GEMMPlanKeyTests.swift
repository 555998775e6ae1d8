import BantamCore
import BantamCUDA
import Testing

/// The plan cache's key: every field that changes cuBLASLt's descriptors must change the key, and nothing
/// else may (addresses are per call); consistency and the FP8 layout rules.
@Suite struct GEMMPlanKeyTests {
    static func linearKey(rows: Int = 4608, n: Int = 3072, k: Int = 3072, dtype: DType = .bf16, epilogue: GEMMEpilogue = .bias) -> GEMMPlanKey {
        let (a, b, d) = GEMMLayout.linear(rows: rows, n: n, k: k, xRowStride: k)
        return GEMMPlanKey(m: n, n: rows, k: k, batch: 1,
                           a: GEMMOperandKey(dtype: dtype, matrix: a, batchStride: 0, alignment: 256),
                           b: GEMMOperandKey(dtype: dtype, matrix: b, batchStride: 0, alignment: 256),
                           d: GEMMOperandKey(dtype: dtype, matrix: d, batchStride: 0, alignment: 256),
                           epilogue: epilogue, biasDType: epilogue.hasBias ? dtype : nil)
    }

    @Test func equalDescriptionsShareAPlanAndEveryFieldSeparates() {
        let base = Self.linearKey()
        #expect(base == Self.linearKey())
        #expect(Set([base, Self.linearKey()]).count == 1)
        #expect(base.isConsistent)
        var variants: [GEMMPlanKey] = []
        func vary(_ change: (inout GEMMPlanKey) -> Void) { var k = base; change(&k); variants.append(k) }
        vary { $0.m += 16 }
        vary { $0.n += 1 }
        vary { $0.k += 16 }
        vary { $0.batch = 2 }
        vary { $0.a.matrix.ld += 8 }
        vary { $0.a.matrix.transposed.toggle() }
        vary { $0.b.dtype = .f16 }
        vary { $0.b.batchStride = 7 }
        vary { $0.b.alignment = 16 }
        vary { $0.d.dtype = .f32 }
        vary { $0.compute = .tf32 }
        vary { $0.epilogue = .biasGELU }
        vary { $0.biasDType = .f32 }
        vary { $0.outerVectorScales = true }
        vary { $0.fastAccumulation = true }
        #expect(Set(variants + [base]).count == variants.count + 1)
    }

    @Test func consistencyCatchesMismatchedShapes() {
        var key = Self.linearKey()
        key.k = 1024
        #expect(!key.isConsistent)
        key = Self.linearKey()
        key.biasDType = nil                     // a bias epilogue without a bias type
        #expect(!key.isConsistent)
        key = Self.linearKey()
        key.d.matrix.ld = 100                   // D's ld below its rows
        #expect(!key.isConsistent)
        #expect(Self.linearKey(epilogue: .none).isConsistent)
    }

    @Test func epilogueCodesAreCuBLASLtValues() {
        #expect(GEMMEpilogue(bias: false, gelu: false).rawValue == 1)
        #expect(GEMMEpilogue(bias: true, gelu: false).rawValue == 4)
        #expect(GEMMEpilogue(bias: false, gelu: true).rawValue == 32)
        #expect(GEMMEpilogue(bias: true, gelu: true).rawValue == 36)
        #expect(GEMMEpilogue.biasGELU.hasBias && GEMMEpilogue.biasGELU.hasGELU && !GEMMEpilogue.bias.hasGELU)
    }

    @Test func fp8NeedsTNAndMultiplesOf16() {
        #expect(Self.linearKey(dtype: .f8e4m3fn).meetsFP8LayoutRules)
        #expect(Self.linearKey(rows: 1, n: 48, k: 64, dtype: .f8e4m3fn).meetsFP8LayoutRules)
        #expect(!Self.linearKey(n: 3072, k: 40, dtype: .f8e4m3fn).meetsFP8LayoutRules)
        #expect(!Self.linearKey(n: 3075, k: 3072, dtype: .f8e4m3fn).meetsFP8LayoutRules)      // D ld 3075
        var key = Self.linearKey(dtype: .f8e4m3fn)
        key.a.matrix = ColumnMajorMatrix(transposed: false, rows: key.m, cols: key.k, ld: key.m)   // "NN"
        #expect(!key.meetsFP8LayoutRules)
        key = Self.linearKey(dtype: .f8e4m3fn)
        key.b.alignment = 8
        #expect(!key.meetsFP8LayoutRules)
    }

    @Test func cudaDataTypeCodes() {
        #expect(CudaDataType.of(.f32) == 0 && CudaDataType.of(.f16) == 2 && CudaDataType.of(.bf16) == 14)
        #expect(CudaDataType.of(.f8e4m3fn) == 28 && CudaDataType.of(.f8e5m2) == 29)
        #expect(CudaDataType.of(.i8) == nil && CudaDataType.of(.f64) == nil)
    }
}
