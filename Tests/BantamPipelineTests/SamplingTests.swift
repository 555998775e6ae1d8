import Testing
import BantamCore
import BantamCPU
import BantamIO
import BantamPipeline
import BantamTestSupport

/// Latent packing, position ids, the Euler step and true CFG.
@Suite struct SamplingTests {
    let cpu = CPUBackend.shared

    /// pack puts latent[b, c, 2i+ph, 2j+pw] at token i·(W/2)+j, feature c·4+ph·2+pw; unpack inverts it.
    @Test func packingOrderAndInverse() throws {
        var rng = TestRNG()
        for (b, c, h, w) in [(1, 16, 16, 16), (2, 3, 6, 10), (1, 1, 2, 2), (1, 5, 14, 4)] {
            let (x, values) = try rng.tensor([b, c, h, w], on: cpu)
            let packed = try LatentPacking.pack(x)
            #expect(packed.shape == [b, (h / 2) * (w / 2), c * 4])
            let p = try packed.floats()
            var mismatches = 0
            for bi in 0..<b { for ci in 0..<c { for y in 0..<h { for xx in 0..<w {
                let token = (y / 2) * (w / 2) + xx / 2, feature = ci * 4 + (y % 2) * 2 + xx % 2
                let got = p[(bi * (h / 2) * (w / 2) + token) * c * 4 + feature]
                if Double(got) != values[((bi * c + ci) * h + y) * w + xx] { mismatches += 1 }
            } } } }
            #expect(mismatches == 0, "[\(b), \(c), \(h), \(w)], seed \(rng.seed)")
            let back = try LatentPacking.unpack(packed, height: h, width: w)
            #expect(back.shape == x.shape)
            #expect(try back.floats() == x.floats())
        }
        #expect(throws: TensorError.self) { try LatentPacking.pack(try Tensor.zeros([1, 16, 3, 4], on: cpu)) }
        #expect(throws: TensorError.self) { try LatentPacking.unpack(try Tensor.zeros([1, 5, 64], on: cpu), height: 4, width: 4) }
    }

    /// The image ids of the tiny generation equal diffusers' `_prepare_latent_image_ids`.
    @Test func imageIDsMatchDiffusers() throws {
        let reference = try SafetensorsFile(path: Fixtures.fluxTiny("reference.safetensors"))
        let expected = try PipelineFixtures.floats(reference, "transformer.img_ids")
        let ids = try LatentPacking.imageIDs(height: 16, width: 16, on: cpu)
        #expect(ids.shape == [64, 3])
        #expect(try ids.floats() == expected)
        let text = try LatentPacking.textIDs(length: 32, on: cpu)
        #expect(try text.floats() == (try PipelineFixtures.floats(reference, "transformer.txt_ids")))
        // Non-square: rows then columns.
        let rect = try LatentPacking.imageIDs(height: 4, width: 6, on: cpu).floats()
        let expectedRect: [Float] = [0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 1, 2]
        #expect(rect == expectedRect)
    }

    /// x + (σ' − σ)·v and v_neg + s·(v_pos − v_neg), each operation rounded to f32 as in diffusers.
    @Test func eulerStepAndTrueCFG() throws {
        var rng = TestRNG()
        let (x, xv) = try rng.tensor([1, 7, 12], on: cpu)
        let (v, vv) = try rng.tensor([1, 7, 12], on: cpu)
        let (sigma, next): (Float, Float) = (0.8271925, 0.6148493)
        let stepped = try FlowMatchEuler.step(x, velocity: v, sigma: sigma, nextSigma: next).floats()
        let dt = next - sigma
        let expectedStep: [Float] = zip(xv, vv).map { (a: Double, b: Double) -> Float in Float(a) + Float(b) * dt }
        #expect(stepped == expectedStep, "seed \(rng.seed)")
        let (n, nv) = try rng.tensor([1, 7, 12], on: cpu)
        let cfg = try FlowMatchEuler.trueCFG(positive: v, negative: n, scale: 2.5).floats()
        let expectedCFG: [Float] = zip(vv, nv).map { (p: Double, q: Double) -> Float in
            let difference: Float = Float(p) - Float(q)
            return Float(q) + difference * 2.5
        }
        #expect(cfg == expectedCFG, "seed \(rng.seed)")
    }
}
