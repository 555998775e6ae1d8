import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The host-side pieces of the FLUX transformer against float64 formulas, and its input checks.
@Suite("FLUX transformer components")
struct FluxComponentTests {
    @Test("timestep embedding: [cos, sin] of 1000·t·exp(−ln(10⁴)·i/128), as f32 like the reference")
    func timestepEmbedding() throws {
        var rng = TestRNG()
        let values = [0, 1, 0.7, 3.5] + rng.uniforms(5, 0, 1)     // timesteps and guidance values
        let table = FluxTransformer.timestepEmbeddingTable(values)
        #expect(table.count == values.count * 256)
        for (b, t) in values.enumerated() {
            for i in 0..<128 {
                let angle = 1000 * Double(t) * exp(-log(10_000.0) * Double(i) / 128)
                // The reference's f32 roundings move the angle by a relative error of at most: 1000·t (1 ulp),
                // the exponent −ln(10⁴)·i/128 (1 ulp of it, i.e. |exponent| ulp of the frequency), exp (1) and
                // the product (1); plus 1 ulp on the cosine or sine itself.
                let exponent = log(10_000.0) * Double(i) / 128
                let bound = angle.magnitude * (3 + exponent + 0.5) * 0x1p-24 + 0x1p-24
                let c = Double(table[b * 256 + i]), s = Double(table[b * 256 + 128 + i])
                #expect((c - cos(angle)).magnitude <= bound, "seed \(rng.seed), t \(t), i \(i)")
                #expect((s - sin(angle)).magnitude <= bound, "seed \(rng.seed), t \(t), i \(i)")
            }
        }
        // t = 0: cos 1, sin 0 everywhere.
        #expect(table[0..<128].allSatisfy { $0 == 1 } && table[128..<256].allSatisfy { $0 == 0 })
        let tensor = try FluxTransformer.timestepEmbedding(values, on: CPUBackend.shared)
        #expect(tensor.shape == [values.count, 256] && tensor.dtype == .f32)
        #expect(try tensor.floats() == table)
    }

    @Test("RoPE tables: pair j of a head uses the axis it falls in, ω = θ^(−2j/d) per axis, odd lengths")
    func ropeTables() throws {
        var rng = TestRNG()
        for (axes, length) in [([16, 56, 56], 17), ([4, 6, 6], 3), ([2], 1), ([8, 2, 6, 4], 33)] {
            let dim = axes.reduce(0, +)
            let embed = FluxTransformer.EmbedND(dim: dim, theta: 10_000, axesDim: axes)
            let ids = (0..<(length * axes.count)).map { _ in Float(Int(rng.uniform(0, 128))) }
            let (cosTable, sinTable) = embed.tables(ids: ids, length: length)
            // Reference: walk the axes, each axis's own pair index restarts at 0.
            for l in 0..<length {
                var j = 0
                for (axis, d) in axes.enumerated() {
                    for k in 0..<(d / 2) {
                        let angle = Double(ids[l * axes.count + axis]) / pow(10_000, Double(2 * k) / Double(d))
                        #expect(cosTable[l * dim / 2 + j] == Float(cos(angle)), "seed \(rng.seed)")
                        #expect(sinTable[l * dim / 2 + j] == Float(sin(angle)), "seed \(rng.seed)")
                        j += 1
                    }
                }
            }
            let idTensor = try Tensor(ids, shape: [length, axes.count], on: CPUBackend.shared)
            let (c, s) = try embed(idTensor)
            #expect(c.shape == [length, dim / 2] && s.shape == [length, dim / 2])
            #expect(try c.floats() == cosTable)
            #expect(try s.floats() == sinTable)
        }
    }

    @Test("position ids: image (0, r, c) row-major as diffusers makes them; text all zeros")
    func positions() throws {
        let cpu = CPUBackend.shared
        let reference = try FluxTiny.reference().tensor("transformer.img_ids", on: cpu)
        #expect(try FluxPositions.imageIds(height: 8, width: 8, on: cpu).floats() == reference.floats())
        let ids = try FluxPositions.imageIds(height: 3, width: 5, on: cpu)
        #expect(ids.shape == [15, 3])
        let values = try ids.floats()
        for r in 0..<3 {
            for c in 0..<5 {
                #expect(Array(values[(r * 5 + c) * 3..<(r * 5 + c + 1) * 3]) == [0, Float(r), Float(c)])
            }
        }
        let text = try FluxPositions.textIds(length: 7, on: cpu)
        #expect(text.shape == [7, 3])
        #expect(try text.floats().allSatisfy { $0 == 0 })
        #expect(throws: TensorError.self) { try FluxPositions.imageIds(height: 0, width: 4, on: cpu) }
    }

    @Test("forward input checks: one-line errors, dev needs guidance, schnell ignores it")
    func inputChecks() throws {
        let cpu = CPUBackend.shared
        let dev = try FluxTiny.load(try FluxTiny.bflDev(), layout: .bfl)
        let img = try Tensor.zeros([1, 4, 64], on: cpu), txt = try Tensor.zeros([1, 3, 32], on: cpu)
        let imgIds = try FluxPositions.imageIds(height: 2, width: 2, on: cpu), txtIds = try FluxPositions.textIds(length: 3, on: cpu)
        let y = try Tensor.zeros([1, 32], on: cpu), t = try Tensor([0.5], shape: [1], on: cpu)
        let noGuidance = try #require(throws: TensorError.self) {
            _ = try dev(img: img, imgIds: imgIds, txt: txt, txtIds: txtIds, timesteps: t, y: y, guidance: nil)
        }
        #expect("\(noGuidance)".contains("guidance"))
        let badIds = try #require(throws: TensorError.self) {
            _ = try dev(img: img, imgIds: txtIds, txt: txt, txtIds: txtIds, timesteps: t, y: y, guidance: t)
        }
        #expect("\(badIds)".contains("imgIds") && !"\(badIds)".contains("\n"))
        #expect(throws: TensorError.self) {
            _ = try dev(img: try Tensor.zeros([1, 4, 63], on: cpu), imgIds: imgIds, txt: txt, txtIds: txtIds,
                        timesteps: t, y: y, guidance: t)
        }
        let out = try dev(img: img, imgIds: imgIds, txt: txt, txtIds: txtIds, timesteps: t, y: y, guidance: t)
        #expect(out.shape == [1, 4, 64])

        let schnell = try FluxTiny.load(try FluxTiny.bflSchnell(), layout: .bfl)
        let a = try schnell(img: img, imgIds: imgIds, txt: txt, txtIds: txtIds, timesteps: t, y: y, guidance: nil)
        let b = try schnell(img: img, imgIds: imgIds, txt: txt, txtIds: txtIds, timesteps: t, y: y, guidance: t)
        #expect(try a.floats() == b.floats())
    }
}
