import BantamCore
import BantamCPU
import BantamNN
import BantamTestSupport
import Testing

/// `.unsqueeze`: diffusers' Linear [C, C] read as a 1×1 conv weight [C, C, 1, 1] (the FLUX AE's attention).
@Suite struct WeightRecipeUnsqueezeTests {
    let cpu = CPUBackend.shared

    @Test func addsUnitAxesAsAView() throws {
        var rng = TestRNG()
        let (w, values) = try rng.tensor([3, 5], on: cpu)
        let src = InMemoryTensorSource(["lin.weight": w], description: "test.safetensors")
        let recipe = WeightRecipe.unsqueeze(.unsqueeze(.key("lin.weight"), axis: 2), axis: 3)
        #expect(recipe.keys == ["lin.weight"])
        #expect(recipe.shape(in: src) == [3, 5, 1, 1])
        #expect(WeightRecipe.unsqueeze(.key("lin.weight"), axis: 0).shape(in: src) == [1, 3, 5])
        #expect(WeightRecipe.unsqueeze(.key("lin.weight"), axis: 3).shape(in: src) == nil)
        #expect(recipe.description == "unsqueeze(unsqueeze('lin.weight', axis 2), axis 3)")

        let layout = MappedLayout(name: "conv from linear") { $0 == "conv.weight" ? recipe : nil }
        let loader = WeightLoader(source: src, layout: layout, backend: cpu)
        let conv = try loader.root.tensor("conv.weight", shape: [3, 5, 1, 1])
        try loader.finish()
        #expect(conv.isContiguous)
        #expect(try conv.floats().map(Double.init) == values)
    }

    @Test func anAxisOutOfRangeIsReportedNotCrashed() throws {
        let src = InMemoryTensorSource(["w": try Tensor.zeros([2, 2], on: cpu)], description: "test.safetensors")
        let layout = MappedLayout(name: "bad") { $0 == "p" ? .unsqueeze(.key("w"), axis: 5) : nil }
        let loader = WeightLoader(source: src, layout: layout, backend: cpu)
        _ = try loader.root.tensor("p", shape: [2, 2, 1])
        let error = try #require(throws: WeightMapError.self) { try loader.finish() }
        #expect(error.description.contains("1 misshaped: p (unsqueeze('w', axis 5) does not combine"))
    }
}
