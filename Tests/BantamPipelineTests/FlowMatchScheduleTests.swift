import Testing
import BantamIO
import BantamPipeline
import BantamTestSupport

/// FlowMatchSchedule against diffusers 0.42.1 (scripts/goldens/flux_schedule_goldens.py).
@Suite struct FlowMatchScheduleTests {
    static let cases: [(variant: String, steps: Int, tokens: Int)] = [
        ("dev", 4, 64), ("dev", 28, 4096), ("dev", 50, 4096), ("dev", 20, 1024), ("dev", 1, 256),
        ("dev", 8, 3600), ("dev", 30, 9216), ("dev", 13, 16), ("dev", 28, 2304),
        ("schnell", 4, 4096), ("schnell", 1, 4096), ("schnell", 9, 1024),
    ]

    @Test func sigmasAndModelTimestepsMatchDiffusers() throws {
        let file = try SafetensorsFile(path: PipelineFixtures.path("flux-schedules.safetensors"))
        for c in Self.cases {
            let name = "\(c.variant).steps\(c.steps).tokens\(c.tokens)"
            let sigmas = FlowMatchSchedule.flux(steps: c.steps, imageTokens: c.tokens, shift: c.variant == "dev")
            #expect(sigmas == (try PipelineFixtures.floats(file, name + ".sigmas")), "\(name)")
            let model = sigmas.dropLast().map { FlowMatchSchedule.modelTimestep(sigma: $0) }
            #expect(model == (try PipelineFixtures.floats(file, name + ".model")), "\(name)")
        }
    }

    @Test func tinyFluxGenerationSigmas() throws {
        let reference = try SafetensorsFile(path: Fixtures.fluxTiny("reference.safetensors"))
        let expected = try PipelineFixtures.floats(reference, "generate.dev.sigmas")
        #expect(FlowMatchSchedule.flux(steps: 4, imageTokens: 64, shift: true) == expected)
    }

    /// The shift line passes through (256, 0.5) and (4096, 1.15); sigmas fall from 1 to 0.
    @Test func shiftLineAndMonotonicity() {
        #expect(abs(FlowMatchSchedule.mu(imageTokens: 256) - 0.5) < 1e-12)
        #expect(abs(FlowMatchSchedule.mu(imageTokens: 4096) - 1.15) < 1e-12)
        for steps in [1, 2, 3, 7, 50] {
            let s = FlowMatchSchedule.flux(steps: steps, imageTokens: 1000, shift: true)
            #expect(s.count == steps + 1 && s.first == 1 && s.last == 0)
            #expect(zip(s, s.dropFirst()).allSatisfy { $0 > $1 })
        }
    }
}
