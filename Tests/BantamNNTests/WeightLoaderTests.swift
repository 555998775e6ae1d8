import BantamCore
import BantamCPU
import BantamNN
import BantamTestSupport
import Testing

@Suite struct WeightLoaderTests {
    let cpu = CPUBackend.shared

    func source(_ shapes: [String: Shape], dtype: DType = .f32, rng: inout TestRNG) throws -> InMemoryTensorSource {
        var tensors: [String: Tensor] = [:]
        for (name, shape) in shapes { tensors[name] = try rng.tensor(shape, dtype: dtype, on: cpu).tensor }
        return InMemoryTensorSource(tensors, description: "test.safetensors")
    }

    @Test func loadsExactMatchAndReportsNothing() throws {
        var rng = TestRNG()
        let src = try source(["lin.weight": [4, 3], "lin.bias": [4]], rng: &rng)
        let loader = WeightLoader(source: src, layout: IdentityLayout(name: "test layout"), backend: cpu)
        let lin = try Linear(loader.root.child("lin"), in: 3, out: 4)
        try loader.finish()
        #expect(try lin.weight.floats() == src.tensors["lin.weight"]!.floats())
        #expect(try lin.bias!.floats() == src.tensors["lin.bias"]!.floats())
    }

    @Test func reportsMissingMisshapedAndUnexpectedTogether() throws {
        var rng = TestRNG()
        let src = try source(["a.weight": [4, 3], "b.weight": [5, 3], "stray": [2]], rng: &rng)
        let loader = WeightLoader(source: src, layout: IdentityLayout(name: "test layout"), backend: cpu)
        _ = try loader.root.tensor("a.weight", shape: [4, 3])
        let misshaped = try loader.root.tensor("b.weight", shape: [4, 3])
        let missing = try loader.root.tensor("c.weight", shape: [2, 2])
        // Placeholders have the expected shape and cost no memory (zero strides).
        #expect(misshaped.shape == [4, 3] && misshaped.strides == [0, 0])
        #expect(missing.shape == [2, 2])
        let error = try #require(throws: WeightMapError.self) { try loader.finish() }
        #expect(error.problems.count == 3)
        let text = error.description
        #expect(text.contains("test.safetensors does not match test layout"))
        #expect(text.contains("1 missing: c.weight"))
        #expect(text.contains("1 misshaped: b.weight (is [5, 3], expected [4, 3])"))
        #expect(text.contains("1 unexpected: stray"))
    }

    @Test func layoutCanIgnoreKeysOnPurpose() throws {
        var rng = TestRNG()
        let src = try source(["w": [2], "position_ids": [1, 77]], rng: &rng)
        let layout = IdentityLayout(name: "l", ignoring: { $0 == "position_ids" })
        let loader = WeightLoader(source: src, layout: layout, backend: cpu)
        _ = try loader.root.tensor("w", shape: [2])
        try loader.finish()
    }

    @Test func recipesConcatSliceAndSwapHalves() throws {
        var rng = TestRNG()
        let src = try source(["q": [2, 3], "k": [2, 3], "v": [2, 3], "mod": [4, 3]], rng: &rng)
        let layout = MappedLayout(name: "split layout") { name in
            switch name {
            case "qkv": return .concat([.key("q"), .key("k"), .key("v")], axis: 0)
            case "k_only": return .slice(.concat([.key("q"), .key("k"), .key("v")], axis: 0), axis: 0, range: 2..<4)
            case "mod_swapped": return .swapHalves(.key("mod"), axis: 0)
            default: return nil
            }
        }
        let loader = WeightLoader(source: src, layout: layout, backend: cpu)
        let qkv = try loader.root.tensor("qkv", shape: [6, 3])
        let k = try loader.root.tensor("k_only", shape: [2, 3])
        let swapped = try loader.root.tensor("mod_swapped", shape: [4, 3])
        try loader.finish()
        let q = try src.tensors["q"]!.floats(), kk = try src.tensors["k"]!.floats(), v = try src.tensors["v"]!.floats()
        #expect(try qkv.floats() == q + kk + v)
        #expect(try k.floats() == kk)
        let mod = try src.tensors["mod"]!.floats()
        #expect(try swapped.floats() == Array(mod[6...]) + Array(mod[..<6]))
    }

    @Test func recipeWithAMissingPartNamesThePart() throws {
        var rng = TestRNG()
        let src = try source(["q": [2, 3], "k": [2, 3]], rng: &rng)
        let layout = MappedLayout(name: "split layout") { $0 == "qkv" ? .concat([.key("q"), .key("k"), .key("v")], axis: 0) : nil }
        let loader = WeightLoader(source: src, layout: layout, backend: cpu)
        _ = try loader.root.tensor("qkv", shape: [6, 3])
        #expect(!loader.provides("qkv"))
        let error = try #require(throws: WeightMapError.self) { try loader.finish() }
        #expect(error.description.contains("qkv (from v)"))
    }

    @Test func precisionPolicyCastsFloatsAndKeepsFP8LinearWeights() throws {
        var rng = TestRNG()
        let w8 = try Tensor(rng.normals(12), shape: [4, 3], dtype: .f8e4m3fn, on: cpu)
        let b8 = try Tensor(rng.normals(4), shape: [4], dtype: .f8e4m3fn, on: cpu)
        let norm = try Tensor(rng.normals(3), shape: [3], dtype: .f32, on: cpu)
        let src = InMemoryTensorSource(["lin.weight": w8, "lin.bias": b8, "norm.weight": norm])
        let loader = WeightLoader(source: src, layout: IdentityLayout(name: "l"), backend: cpu,
                                  precision: LoadPrecision(compute: .bf16))
        let lin = try Linear(loader.root.child("lin"), in: 3, out: 4)
        let n = try loader.root.tensor("norm.weight", shape: [3])
        try loader.finish()
        #expect(lin.weight.dtype == .f8e4m3fn)      // weight-only FP8 kept
        #expect(lin.bias?.dtype == .bf16)           // everything else in the compute dtype
        #expect(n.dtype == .bf16)
        #expect(try lin.bias!.floats() == b8.floats())   // fp8 → bf16 is exact
    }

    @Test func prefixedSourceSeesOneComponent() throws {
        var rng = TestRNG()
        let src = try source(["model.diffusion_model.img_in.weight": [4, 3], "vae.decoder.conv_in.weight": [1]], rng: &rng)
        let dit = PrefixedTensorSource(src, prefix: "model.diffusion_model.")
        #expect(dit.keys == ["img_in.weight"])
        #expect(dit.shape(of: "img_in.weight") == [4, 3])
        let loader = WeightLoader(source: dit, layout: IdentityLayout(name: "l"), backend: cpu)
        _ = try loader.root.tensor("img_in.weight", shape: [4, 3])
        try loader.finish()
    }
}
