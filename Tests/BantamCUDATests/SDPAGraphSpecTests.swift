import BantamCUDA
import Testing

/// The SDPA graph handed to cuDNN: wiring and shapes (pure), and, where libcudnn.so.9 loads (no GPU
/// needed), that cuDNN accepts and finalizes every tensor and operation descriptor.
@Suite struct SDPAGraphSpecTests {
    /// Random odd sizes (fresh each run, printed on failure).
    static func sizes() -> (b: Int, h: Int, lq: Int, lk: Int, d: Int, dv: Int) {
        let odd = [1, 3, 7, 17, 33, 129]
        return (odd.randomElement()!, odd.randomElement()!, odd.randomElement()!, odd.randomElement()!,
                [64, 128].randomElement()!, [64, 128].randomElement()!)
    }

    @Test func compositeGraphIsWiredAndShaped() throws {
        let s = Self.sizes()
        let spec = SDPAGraphSpec.forward(batch: s.b, heads: s.h, queries: s.lq, keys: s.lk, headSize: s.d, valueSize: s.dv,
                                         ioType: .bfloat16, form: .composite)
        let context = "sizes \(s)"
        // Every tensor read is declared and either an input (not virtual) or written by an earlier operation;
        // every virtual tensor is written exactly once and read at least once; O is written.
        var written: Set<Int64> = []
        var read: Set<Int64> = []
        for op in spec.operations {
            let (inputs, outputs) = SDPAGraphSpec.io(of: op)
            for id in inputs {
                let t = try #require(spec.tensor(id), "\(context): tensor \(id) undeclared")
                #expect(!t.isVirtual || written.contains(id), "\(context): \(id) read before written")
                read.insert(id)
            }
            for id in outputs {
                #expect(!written.contains(id), "\(context): \(id) written twice")
                written.insert(id)
            }
        }
        for t in spec.tensors where t.isVirtual {
            #expect(written.contains(t.uid) && read.contains(t.uid), "\(context): virtual \(t.uid) dangling")
            #expect(t.dataType == .float)
        }
        #expect(written.contains(SDPAGraphSpec.o))
        #expect(Set([SDPAGraphSpec.q, SDPAGraphSpec.k, SDPAGraphSpec.v, SDPAGraphSpec.scale]).isSubset(of: read))

        // Shapes: matmuls [.., m, k]·[.., k, n] = [.., m, n]; reductions keep all but the last axis.
        for op in spec.operations {
            switch op {
            case .matmul(let a, let b, let c):
                let (da, db, dc) = (spec.tensor(a)!.dims, spec.tensor(b)!.dims, spec.tensor(c)!.dims)
                #expect(da[0...1] == dc[0...1] && db[0...1] == dc[0...1], "\(context)")
                #expect(da[3] == db[2] && dc[2] == da[2] && dc[3] == db[3], "\(context): \(da)·\(db) -> \(dc)")
            case .reduction(_, let x, let y):
                let (dx, dy) = (spec.tensor(x)!.dims, spec.tensor(y)!.dims)
                #expect(Array(dx.prefix(3)) == Array(dy.prefix(3)) && dy[3] == 1, "\(context)")
            case .pointwise(_, let x, let b, let y):
                #expect(spec.tensor(x)!.dims == spec.tensor(y)!.dims)
                if let b {
                    for (bd, yd) in zip(spec.tensor(b)!.dims, spec.tensor(y)!.dims) { #expect(bd == yd || bd == 1) }
                }
            case .sdpa: Issue.record("the composite graph has no SDPA node")
            }
        }
        // The order of the softmax: max, subtract, exp, sum, divide, between the two matmuls.
        let kinds = spec.operations.map { op -> String in
            switch op {
            case .matmul: return "matmul"
            case .pointwise(let mode, _, _, _): return "\(mode)"
            case .reduction(let mode, _, _): return "reduce-\(mode)"
            case .sdpa: return "sdpa"
            }
        }
        #expect(kinds == ["matmul", "mul", "reduce-max", "sub", "exp", "reduce-add", "div", "matmul"])
    }

    /// Kᵀ [b, h, d, lk] addresses the contiguous K buffer [b, h, lk, d]: element (i, j, p, n) of Kᵀ is
    /// element (i, j, n, p) of K.
    @Test func transposedKeyStridesAddressTheContiguousBuffer() throws {
        let s = Self.sizes()
        let spec = SDPAGraphSpec.forward(batch: s.b, heads: s.h, queries: s.lq, keys: s.lk, headSize: s.d, valueSize: s.dv,
                                         ioType: .half, form: .composite)
        let k = try #require(spec.tensor(SDPAGraphSpec.k))
        #expect(k.dims == [Int64(s.b), Int64(s.h), Int64(s.d), Int64(s.lk)])
        for _ in 0..<50 {
            let (i, j, p, n) = (Int.random(in: 0..<s.b), Int.random(in: 0..<s.h), Int.random(in: 0..<s.d), Int.random(in: 0..<s.lk))
            let viaView = Int64(i) * k.strides[0] + Int64(j) * k.strides[1] + Int64(p) * k.strides[2] + Int64(n) * k.strides[3]
            let contiguous = Int64(((i * s.h + j) * s.lk + n) * s.d + p)
            #expect(viaView == contiguous, "sizes \(s), element \((i, j, p, n))")
        }
        let scale = try #require(spec.tensor(SDPAGraphSpec.scale))
        #expect(scale.isByValue && scale.dataType == .float && scale.dims == [1, 1, 1, 1])
        #expect(spec.tensor(SDPAGraphSpec.q)!.dataType == .half && spec.tensor(SDPAGraphSpec.o)!.dataType == .half)
    }

    @Test func unifiedGraphIsOneNode() {
        let spec = SDPAGraphSpec.forward(batch: 1, heads: 24, queries: 4608, keys: 4608, headSize: 128, valueSize: 128,
                                         ioType: .bfloat16, form: .unified)
        #expect(spec.operations == [.sdpa(q: 1, k: 2, v: 3, o: 4, scale: 5)])
        let keyDims: [Int64] = [1, 24, 4608, 128]
        #expect(spec.tensor(SDPAGraphSpec.k)!.dims == keyDims)
        let keyStrides: [Int64] = [14_155_776, 589_824, 128, 1]     // [24·4608·128, 4608·128, 128, 1]
        #expect(spec.tensor(SDPAGraphSpec.k)!.strides == keyStrides)
        #expect(spec.tensors.allSatisfy { !$0.isVirtual })
    }

    /// With cuDNN present (pip nvidia-cudnn-cu13 or BANTAM_CUDA_LIBS), every descriptor finalizes.
    @Test func cudnnFinalizesTheDescriptors() throws {
        guard case .success(let api) = CUDNNAPI.load(environment: .current) else { return }
        let s = Self.sizes()
        for form in SDPAGraphSpec.Form.allCases where form == .composite || api.version >= 91301 {
            let spec = SDPAGraphSpec.forward(batch: s.b, heads: s.h, queries: s.lq, keys: s.lk, headSize: s.d, valueSize: s.dv,
                                             ioType: .bfloat16, form: form)
            #expect(try spec.finalizeDescriptors(with: api) == spec.operations.count, "\(form), sizes \(s)")
        }
    }
}
