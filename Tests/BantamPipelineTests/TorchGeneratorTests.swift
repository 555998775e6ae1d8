import Testing
import BantamIO
import BantamPipeline
import BantamTestSupport

/// TorchGenerator against torch 2.13 (scripts/goldens/torch_rng_goldens.py and the tiny FLUX goldens).
@Suite struct TorchGeneratorTests {
    static let seeds: [UInt64] = [0, 1, 42, (1 << 32) - 1, 1 << 63]

    /// Counts values that are not bit-identical and the largest distance in ulps.
    static func differences(_ actual: [Float], _ expected: [Float]) -> (count: Int, maxUlps: Int) {
        var count = 0, worst = 0
        for (a, e) in zip(actual, expected) where a.bitPattern != e.bitPattern {
            count += 1
            worst = max(worst, PipelineFixtures.ulps(a, e))
        }
        return (count + abs(actual.count - expected.count), worst)
    }

    @Test func randnMatchesTorchBitForBit() throws {
        let file = try SafetensorsFile(path: PipelineFixtures.path("torch-rng.safetensors"))
        for seed in Self.seeds {
            for n in [1, 15, 16, 17, 33, 1000] + (seed == 42 ? [65536] : []) {
                let expected = try PipelineFixtures.floats(file, "randn.s\(seed).n\(n)")
                var generator = TorchGenerator(seed: seed)
                let diff = Self.differences(generator.randn(count: n), expected)
                #expect(diff.count == 0, "seed \(seed), n \(n): \(diff.count) values differ, by up to \(diff.maxUlps) ulp")
            }
        }
    }

    @Test func randMatchesTorch() throws {
        let file = try SafetensorsFile(path: PipelineFixtures.path("torch-rng.safetensors"))
        for seed in Self.seeds {
            for n in [1, 17, 1000] {
                var generator = TorchGenerator(seed: seed)
                #expect(generator.rand(count: n) == (try PipelineFixtures.floats(file, "rand.s\(seed).n\(n)")), "seed \(seed), n \(n)")
            }
        }
    }

    /// Successive calls continue the stream, including the cached second value of the small path.
    @Test func successiveCallsContinueTheStream() throws {
        let file = try SafetensorsFile(path: PipelineFixtures.path("torch-rng.safetensors"))
        var generator = TorchGenerator(seed: 7)
        let results = [generator.randn(count: 3), generator.randn(count: 20), generator.randn(count: 5),
                       generator.rand(count: 4), generator.randn(count: 1)]
        for (i, actual) in results.enumerated() {
            #expect(actual == (try PipelineFixtures.floats(file, "seq.\(i)")), "call \(i)")
        }
    }

    /// The initial noise of the tiny FLUX generations: torch.randn(1, 16, 16, 16) with seed 42.
    @Test func fluxTinyNoise() throws {
        let reference = try SafetensorsFile(path: Fixtures.fluxTiny("reference.safetensors"))
        for name in ["dev", "truecfg"] {
            let expected = try PipelineFixtures.floats(reference, "generate.\(name).noise")
            var generator = TorchGenerator(seed: 42)
            let diff = Self.differences(generator.randn(count: expected.count), expected)
            #expect(diff.count == 0, "\(diff.count) of \(expected.count) differ, by up to \(diff.maxUlps) ulp")
        }
    }

    /// Seeds that agree in their low 32 bits give the same stream (torch seeds MT19937 with them);
    /// a random seed is recorded and reproducible.
    @Test func seedsAndRandomSeed() {
        var a = TorchGenerator(seed: 5), b = TorchGenerator(seed: 5 | (1 << 40))
        #expect(a.randn(count: 40) == b.randn(count: 40))
        let seed = TorchGenerator.randomSeed()
        #expect(seed < (1 << 32))
        var c = TorchGenerator(seed: seed), d = TorchGenerator(seed: seed)
        #expect(c.randn(count: 17) == d.randn(count: 17))
        #expect(TorchGenerator(seed: seed).seed == seed)
    }
}
