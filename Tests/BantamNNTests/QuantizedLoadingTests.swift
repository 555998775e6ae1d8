import BantamCore
import BantamCPU
import BantamNN
import BantamQuant
import BantamTestSupport
import Testing

/// Loading Linear weights in quantized formats through layouts that fuse, slice and reorder them, and
/// applying precision policies while loading.
@Suite("Quantized weight loading")
struct QuantizedLoadingTests {
    let cpu = CPUBackend.shared

    /// The tensors a file in `format`'s convention would hold for the dense weight `w` under `key`.
    func stored(_ key: String, _ w: Tensor, _ format: WeightFormat) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for r in try QuantizedFileRecords.linear(key: key, shape: w.shape.dims, format: format, load: { .dense(w) }) {
            let bytes = try r.dtype.byteCount(elements: r.shape.reduce(1, *))
            let host = HostBuffer(byteCount: bytes)
            try r.fill(UnsafeMutableRawBufferPointer(start: host.base, count: bytes))
            out[r.name] = try cpu.makeTensor(host: host, byteOffset: 0, dtype: r.dtype, shape: Shape(r.shape))
        }
        return out
    }

    /// Three [rows, k] parts q, k, v in `format` and the layout that fuses them into `qkv`.
    func fusedSource(rows: Int, k: Int, format: WeightFormat, rng: inout TestRNG) throws -> (InMemoryTensorSource, [Tensor]) {
        var tensors: [String: Tensor] = [:], parts: [Tensor] = []
        for name in ["q", "k", "v"] {
            let w = try rng.tensor([rows, k], scale: 0.1, on: cpu).tensor
            parts.append(w)
            tensors.merge(try stored(name + ".weight", w, format)) { a, _ in a }
        }
        return (InMemoryTensorSource(tensors, description: "parts.safetensors"), parts)
    }

    static let fused = MappedLayout(name: "split qkv") { p in
        p == "qkv.weight" ? .concat([.key("q.weight"), .key("k.weight"), .key("v.weight")], axis: 0) : nil
    }

    @Test("NF4 parts stack by bytes into the NF4 of the fused weight; FP8 per-tensor scales become per-row")
    func fusedQuantizedParts() throws {
        var rng = TestRNG()
        let (nf4Source, parts) = try fusedSource(rows: 8, k: 24, format: .nf4, rng: &rng)   // 192 = 3 blocks each
        let loader = WeightLoader(source: nf4Source, layout: Self.fused, backend: cpu)
        let lin = try Linear(loader.root.child("qkv"), in: 24, out: 24, bias: false)
        try loader.finish()                                        // absmax, quant_map, quant_state consumed
        guard case .nf4(let w) = lin.weight else { Issue.record("not NF4: \(lin.weight.formatName)"); return }
        let whole = try Quantizer.nf4(try concat(parts, axis: 0))
        #expect(try hostBytes(w.codes) == hostBytes(whole.codes), "seed \(rng.seed)")
        #expect(try w.absmax.floats() == whole.absmax.floats())

        let (fp8Source, fp8Parts) = try fusedSource(rows: 5, k: 7, format: .fp8(.f8e4m3fn, .perTensor), rng: &rng)
        let loader8 = WeightLoader(source: fp8Source, layout: Self.fused, backend: cpu)
        let lin8 = try Linear(loader8.root.child("qkv"), in: 7, out: 15, bias: false)
        try loader8.finish()
        guard case .fp8(let w8) = lin8.weight else { Issue.record("not FP8"); return }
        let scales = try w8.rowScales.floats()
        #expect(Set(scales[0..<5]).count == 1 && Set(scales[5..<10]).count == 1 && Set(scales).count == 3)
        let expected = try fp8Parts.map { try Quantizer.fp8($0, scaling: .perTensor).dequantized().floats() }.flatMap { $0 }
        #expect(try w8.dequantized().floats() == expected, "seed \(rng.seed)")
    }

    @Test("row slices and swapped halves of quantized weights, and a mix of formats stacked densely")
    func rowOperations() throws {
        var rng = TestRNG()
        let w = try rng.tensor([16, 8], scale: 0.1, on: cpu).tensor          // 128 elements = 2 NF4 blocks
        for format in [WeightFormat.nf4, .fp8(.f8e5m2, .perTensor)] {
            let source = InMemoryTensorSource(try stored("w.weight", w, format))
            let layout = MappedLayout(name: "ops") { p in
                switch p {
                case "swapped.weight": return .swapHalves(.key("w.weight"), axis: 0)
                case "top.weight": return .slice(.key("w.weight"), axis: 0, range: 0..<8)
                default: return nil
                }
            }
            let loader = WeightLoader(source: source, layout: layout, backend: cpu)
            let swapped = try loader.root.linearWeight("swapped.weight", shape: [16, 8])
            let top = try loader.root.linearWeight("top.weight", shape: [8, 8])
            try loader.finish()
            #expect(swapped.isQuantized && top.isQuantized, "\(format)")
            let plain = try QuantizedTensorSource(source, host: cpu).linearWeight("w.weight", on: cpu).floats()
            #expect(try swapped.floats() == Array(plain[64...] + plain[..<64]), "\(format), seed \(rng.seed)")
            #expect(try top.floats() == Array(plain[..<64]))
        }
        // NF4 parts that end inside a block cannot be stacked: a named error.
        var misaligned: [String: Tensor] = [:]
        for name in ["q", "k", "v"] { misaligned.merge(try stored(name + ".weight", try rng.tensor([3, 20], on: cpu).tensor, .nf4)) { a, _ in a } }
        let loader = WeightLoader(source: InMemoryTensorSource(misaligned), layout: Self.fused, backend: cpu)
        let error = try #require(throws: QuantizationError.self) { _ = try Linear(loader.root.child("qkv"), in: 20, out: 9, bias: false) }
        #expect(error.kind == .unsupportedLayout && error.name == "qkv.weight" && !error.description.contains("\n"))
        // Quantized columns cannot be joined.
        let columns = MappedLayout(name: "cols") { $0 == "wide.weight" ? .concat([.key("q.weight"), .key("k.weight")], axis: 1) : nil }
        let loader2 = WeightLoader(source: InMemoryTensorSource(misaligned), layout: columns, backend: cpu)
        #expect(throws: QuantizationError.self) { _ = try loader2.root.linearWeight("wide.weight", shape: [3, 40]) }
        // A dense part and an NF4 part: stacked in f32, exactly their values.
        let dense = try rng.tensor([4, 16], on: cpu).tensor
        var mixed = try stored("k.weight", try rng.tensor([4, 16], on: cpu).tensor, .nf4)
        mixed["q.weight"] = dense
        mixed["v.weight"] = dense
        let loader3 = WeightLoader(source: InMemoryTensorSource(mixed), layout: Self.fused, backend: cpu)
        let w3 = try loader3.root.linearWeight("qkv.weight", shape: [12, 16])
        try loader3.finish()
        guard case .dense(let t) = w3 else { Issue.record("not dense"); return }
        #expect(t.dtype == .f32)
        let k = try QuantizedTensorSource(InMemoryTensorSource(mixed), host: cpu).linearWeight("k.weight", on: cpu).floats()
        #expect(try t.floats() == (try dense.floats()) + k + (try dense.floats()))
    }

    @Test("quantize on load: per-layer formats from a policy, exempt layers kept, float formats dequantize")
    func policyOnLoad() throws {
        var rng = TestRNG()
        var tensors: [String: Tensor] = [:]
        for name in ["blocks.0.lin", "blocks.1.lin", "final_layer.linear"] {
            tensors[name + ".weight"] = try rng.tensor([16, 32], dtype: .bf16, scale: 0.1, on: cpu).tensor
            tensors[name + ".bias"] = try rng.tensor([16], dtype: .bf16, on: cpu).tensor
        }
        let source = InMemoryTensorSource(tensors)
        func load(_ policy: String) throws -> [String: Linear] {
            let loader = WeightLoader(source: source, layout: IdentityLayout(name: "l"), backend: cpu,
                                      precision: LoadPrecision(try PrecisionPolicy.parse(policy), component: .transformer))
            var out: [String: Linear] = [:]
            for name in ["blocks.0.lin", "blocks.1.lin", "final_layer.linear"] { out[name] = try Linear(loader.root.child(name), in: 32, out: 16) }
            try loader.finish()
            return out
        }
        let nf4 = try load("transformer=nf4,transformer:blocks.1.*=fp8")
        guard case .nf4(let q) = nf4["blocks.0.lin"]!.weight else { Issue.record("blocks.0 not NF4"); return }
        #expect(try hostBytes(q.codes) == hostBytes(try Quantizer.nf4(tensors["blocks.0.lin.weight"]!).codes), "seed \(rng.seed)")
        #expect(q.originalDType == .bf16)
        #expect(nf4["blocks.1.lin"]!.weight.formatName == "fp8")
        #expect(nf4["final_layer.linear"]!.weight.formatName == "bf16")          // FLUX default: kept as stored
        #expect(nf4["blocks.0.lin"]!.bias?.dtype == .bf16)
        let f16 = try load("transformer=f16")
        #expect(f16.values.allSatisfy { $0.weight.dtype == .f16 && $0.bias?.dtype == .f16 })
        // The quantized Linear computes what a dense Linear with its dequantized weight computes.
        let x = try rng.tensor([3, 32], on: cpu).tensor
        for lin in nf4.values {
            let dense = Linear(weight: try lin.weight.dequantized(to: .f32), bias: lin.bias)
            #expect(try lin(x).floats() == dense(x).floats(), "seed \(rng.seed)")
            let rows = try lin.rows(0..<8)           // 8·32 = 256: whole NF4 blocks
            #expect(try rows(x).floats() == dense.rows(0..<8)(x).floats())
        }
    }

    @Test("stored quantized weights are dequantized to the compute dtype when asked not to keep them")
    func dequantizeOnRequest() throws {
        var rng = TestRNG()
        let w = try rng.tensor([8, 16], on: cpu).tensor
        let source = InMemoryTensorSource(try stored("lin.weight", w, .nf4))
        let loader = WeightLoader(source: source, layout: IdentityLayout(name: "l"), backend: cpu,
                                  precision: LoadPrecision(compute: .bf16, keepFP8LinearWeights: false))
        let lin = try Linear(loader.root.child("lin"), in: 16, out: 8, bias: false)
        try loader.finish()
        guard case .dense(let t) = lin.weight else { Issue.record("still quantized"); return }
        #expect(t.dtype == .bf16)
        #expect(try t.floats() == Quantizer.nf4(w).dequantized().cast(to: .bf16).floats())
    }
}

@Suite("Quantized weights on a backend without quantized linears")
struct NoQuantizedLinearTests {
    let cpu = CPUBackend.shared

    @Test("plain FP8 stays FP8 for linear's weight-only path, scaled FP8 and NF4 are dequantized, asking for nf4 is an error")
    func fallbacks() throws {
        var rng = TestRNG()
        let w = try rng.tensor([8, 16], scale: 0.1, on: cpu).tensor
        let backend = NoQuantizedLinearBackend()
        func loaded(_ format: WeightFormat, precision: LoadPrecision = .asStored) throws -> LinearWeight {
            var tensors: [String: Tensor] = [:]
            for r in try QuantizedFileRecords.linear(key: "lin.weight", shape: [8, 16], format: format, load: { .dense(w) }) {
                let bytes = try r.dtype.byteCount(elements: r.shape.reduce(1, *))
                let host = HostBuffer(byteCount: bytes)
                try r.fill(UnsafeMutableRawBufferPointer(start: host.base, count: bytes))
                tensors[r.name] = try cpu.makeTensor(host: host, byteOffset: 0, dtype: r.dtype, shape: Shape(r.shape))
            }
            let loader = WeightLoader(source: InMemoryTensorSource(tensors), layout: IdentityLayout(name: "l"), backend: backend,
                                      precision: precision, staging: cpu)
            let weight = try loader.root.linearWeight("lin.weight", shape: [8, 16])
            try loader.finish()
            return weight
        }
        let plain = try loaded(.fp8(.f8e4m3fn, .none))
        #expect(plain.formatName == "f8e4m3fn")                         // .dense FP8: `linear` computes with it
        #expect(try plain.floats() == Quantizer.fp8(w, scaling: .none).dequantized().floats())
        #expect(try loaded(.fp8(.f8e4m3fn, .perTensor)).formatName == "bf16")
        #expect(try loaded(.nf4, precision: LoadPrecision(compute: .f16)).formatName == "f16")
        let error = try #require(throws: TensorError.self) {
            _ = try loaded(.keep, precision: LoadPrecision(policy: ComponentPrecision(format: .nf4)))
        }
        #expect(error.description.contains("lin") && error.description.contains("nf4") && !error.description.contains("\n"))
    }
}
