import BantamJSON
import BantamServer
import HTTPTypes
import Hummingbird
import Testing

/// The AUTOMATIC1111 routes as clients such as webuiapi call them.
@Suite struct A1111Tests {
    /// What webuiapi 0.9 sends for `api.txt2img(prompt=..., seed=..., steps=..., width=..., height=...)`.
    static func webuiapiBody(seed: Int, batch: Int = 1, iterations: Int = 1, sampler: String = "Euler a") -> String {
        #"""
        {"enable_hr": false, "denoising_strength": 0.7, "firstphase_width": 0, "firstphase_height": 0, "hr_scale": 2,
         "hr_upscaler": "Latent", "hr_second_pass_steps": 0, "hr_resize_x": 0, "hr_resize_y": 0, "prompt": "a cat",
         "styles": [], "seed": \#(seed), "subseed": -1, "subseed_strength": 0.0, "seed_resize_from_h": 0,
         "seed_resize_from_w": 0, "sampler_name": "\#(sampler)", "batch_size": \#(batch), "n_iter": \#(iterations), "steps": 3,
         "cfg_scale": 1.0, "width": 32, "height": 48, "restore_faces": false, "tiling": false, "do_not_save_samples": false,
         "do_not_save_grid": false, "negative_prompt": "", "eta": 1.0, "s_churn": 0, "s_tmax": 0, "s_tmin": 0, "s_noise": 1,
         "override_settings": {}, "override_settings_restore_afterwards": true, "sampler_index": "\#(sampler)",
         "script_args": [], "send_images": true, "save_images": false, "alwayson_scripts": {}}
        """#
    }

    @Test func txt2imgAnswersWithImagesAndInfo() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let seed = Int.random(in: 0...100_000)
        let response = try await server.post("/sdapi/v1/txt2img", Self.webuiapiBody(seed: seed, batch: 2, iterations: 2))
        #expect(response.status == .ok, "\(response.text.prefix(300))")
        let body = try response.object()
        let images = body.array("images").compactMap(\.stringValue)
        #expect(images.count == 4)
        for (i, base64) in images.enumerated() {
            let png = try PNGReader.decode(try #require(Base64.decode(base64)))
            #expect(png.width == 32 && png.height == 48)
            #expect(png.pixels == FakeImageGenerator.picture(prompt: "a cat", seed: UInt64(seed + i), width: 32, height: 48).pixels)
        }
        let info = try jsonObject(body.string("info"))
        #expect(info.array("all_seeds").compactMap(\.integerValue) == (0..<4).map { seed + $0 })
        #expect(info.int("seed") == seed)
        #expect(info.array("infotexts").first?.stringValue?.contains("Seed: \(seed), Size: 32x48") == true)
        #expect(info.array("warnings").first?.stringValue?.contains("'Euler a' is not available") == true)
        #expect(body.object("parameters")?.string("prompt") == "a cat")
        // The job is in the history, marked as an A1111 job.
        let job = try await server.get("/api/v1/jobs/\(try #require(info.string("bantam_job")))").object()
        #expect(job.string("source") == "a1111")
    }

    @Test func txt2imgRefusesWhatItCannotDo() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let cases: [(String, String)] = [
            (#"{"prompt": "x", "enable_hr": true}"#, "hires fix"),
            (#"{"prompt": "x", "script_name": "xyz plot"}"#, "scripts are not available"),
            (#"{"prompt": "x", "width": 520}"#, "width 520 is not a multiple of 16"),
            (#"{"prompt": "x", "batch_size": 8, "n_iter": 4}"#, "batch_size × n_iter is 32"),
            (#"{"prompt": "x", "steps": 150}"#, "steps must be a whole number from 1 to 50"),
            (#"{"prompt": "x", "override_settings": {"sd_model_checkpoint": "sdxl"}}"#, "there is no model 'sdxl'"),
        ]
        for (body, phrase) in cases {
            let response = try await server.post("/sdapi/v1/txt2img", body)
            #expect(response.status == .unprocessableContent, "\(body)")
            #expect(response.message.contains(phrase), "\(body) → \(response.message)")
            #expect(try response.object().string("detail") == response.message)
        }
        let failed = try await server.post("/sdapi/v1/txt2img", #"{"prompt": "[fail]", "steps": 2, "width": 16, "height": 16}"#)
        #expect(failed.status == .unprocessableContent)
        #expect(failed.message.contains("the generation failed"))
    }

    @Test func modelsOptionsSamplersAndProgress() async throws {
        let generator = HeldGenerator()
        let server = try await TestServer(generator: generator)
        defer { Task { await server.stop() } }
        let models = try await server.get("/sdapi/v1/sd-models").json().arrayValue ?? []
        #expect(models.compactMap { $0.objectValue?.string("title") } == ["flux-tiny"])   // usable ones only
        let options = try await server.get("/sdapi/v1/options").object()
        #expect(options.string("sd_model_checkpoint") == "flux-tiny")
        #expect(try await server.post("/sdapi/v1/options", #"{"sd_model_checkpoint": "broken"}"#).status == .unprocessableContent)
        #expect(try await server.post("/sdapi/v1/options", #"{"sd_model_checkpoint": "flux-tiny", "unknown": 1}"#).status == .ok)
        let samplers = try await server.get("/sdapi/v1/samplers").json().arrayValue ?? []
        #expect(samplers.first?.objectValue?.string("name") == "Euler")
        #expect(try await server.get("/sdapi/v1/schedulers").status == .ok)

        let idle = try await server.get("/sdapi/v1/progress").object()
        #expect(idle["progress"] == .integer(0))
        #expect(idle["current_image"] == .null)

        let request = Task { try await server.post("/sdapi/v1/txt2img", #"{"prompt": "p", "steps": 4, "width": 16, "height": 16}"#) }
        try await eventually("the job starts") { generator.started == 1 }
        let busy = try await server.get("/sdapi/v1/progress").object()
        #expect(busy.object("state")?.int("sampling_step") == 1)
        #expect(busy.object("state")?.int("sampling_steps") == 4)
        #expect(busy.string("current_image").flatMap(Base64.decode).map { (try? PNGReader.decode($0)) != nil } == true)
        #expect(try await server.get("/sdapi/v1/progress?skip_current_image=true").object()["current_image"] == .null)

        // Interrupt: the waiting txt2img answers with what was made (nothing).
        #expect(try await server.post("/sdapi/v1/interrupt", "").status == .ok)
        let answer = try await request.value
        #expect(answer.status == .ok)
        #expect(try answer.object().array("images").isEmpty)
        let info = try jsonObject(try answer.object().string("info"))
        #expect(info.string("status") == "cancelled")
    }
}
