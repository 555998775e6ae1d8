import Testing
import BantamTestSupport

/// The synthetic key sets must reproduce the counts and sizes that formats.md gives for the real files;
/// otherwise the detection tests would test against the wrong thing.
@Suite("Synthetic key sets match formats.md")
struct KeySetTests {
    @Test("FLUX.1-dev BFL: 780 tensors, 11,901,408,320 parameters (= 23,802,816,640 bytes in BF16)")
    func fluxDev() {
        let keys = SyntheticKeySets.fluxBFL()
        #expect(keys.count == 780)
        #expect(SyntheticKeySets.parameterCount(keys) == 11_901_408_320)
        #expect(SyntheticKeySets.parameterCount(keys) * 2 == 23_802_816_640)
        #expect(Set(keys.map(\.name)).count == keys.count)
    }

    @Test("FLUX.1-schnell BFL: 776 tensors (no guidance_in)")
    func fluxSchnell() {
        let keys = SyntheticKeySets.fluxBFL(guidance: false)
        #expect(keys.count == 776)
        #expect(!keys.contains { $0.name.hasPrefix("guidance_in.") })
    }

    @Test("FLUX.1-dev diffusers: 1160 keys like the published index, same parameter count")
    func fluxDiffusers() {
        let bfl = SyntheticKeySets.fluxBFL()
        let keys = SyntheticKeySets.fluxDiffusers(fromBFL: bfl)
        #expect(keys.count == 1160)
        #expect(SyntheticKeySets.parameterCount(keys) == SyntheticKeySets.parameterCount(bfl))
        #expect(Set(keys.map(\.name)).count == keys.count)
        #expect(keys.contains { $0.name == "transformer_blocks.18.attn.add_v_proj.weight" && $0.shape == [3072, 3072] })
        #expect(keys.contains { $0.name == "single_transformer_blocks.37.proj_mlp.weight" && $0.shape == [12288, 3072] })
    }

    @Test("FLUX.1 AE: 244 tensors, 83,819,683 parameters; diffusers names keep the count")
    func autoencoder() {
        let keys = SyntheticKeySets.autoencoderBFL()
        #expect(keys.count == 244)
        #expect(SyntheticKeySets.parameterCount(keys) == 83_819_683)
        let diffusers = SyntheticKeySets.autoencoderDiffusers(fromBFL: keys)
        #expect(diffusers.count == 244)
        #expect(Set(diffusers.map(\.name)).count == 244)
        #expect(SyntheticKeySets.parameterCount(diffusers) == 83_819_683)
        #expect(diffusers.contains { $0.name == "decoder.up_blocks.3.resnets.0.conv_shortcut.weight" && $0.shape == [128, 256, 1, 1] })
        #expect(diffusers.contains { $0.name == "encoder.mid_block.attentions.0.to_q.weight" && $0.shape == [512, 512] })
    }

    @Test("T5-XXL v1.1: 219 tensors, 9,524,621,312 bytes in BF16")
    func t5() {
        let keys = SyntheticKeySets.t5Encoder()
        #expect(keys.count == 219)
        #expect(SyntheticKeySets.parameterCount(keys) * 2 == 9_524_621_312)
    }

    @Test("CLIP-L text tower: 196 tensors, 123,060,480 parameters")
    func clipL() {
        let keys = SyntheticKeySets.clipText()
        #expect(keys.count == 196)
        #expect(SyntheticKeySets.parameterCount(keys) == 123_060_480)
    }

    @Test("Qwen-Image: about 20.4 B parameters")
    func qwenImage() {
        let params = Double(SyntheticKeySets.parameterCount(SyntheticKeySets.qwenImage()))
        #expect(abs(params / 20.4e9 - 1) < 0.01, "got \(params)")
    }
}
