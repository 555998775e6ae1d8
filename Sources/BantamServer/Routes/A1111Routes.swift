import Hummingbird

/// The AUTOMATIC1111 web UI's API, as existing clients (webuiapi, Krita, Open WebUI, chat bots) call it:
/// txt2img (synchronous: it queues a job and answers when the job ends), progress, interrupt, models,
/// options, samplers, schedulers. FLUX maps onto it as Forge maps it: `cfg_scale` is the true CFG scale
/// (1 = off), `distilled_cfg_scale` the guidance of dev models. Only the flow-matching Euler sampler
/// exists; other sampler names fall back to it and the response's `info.warnings` says so.
struct A1111Routes {
    let configuration: ServerConfiguration
    let services: ServerServices

    static let samplerNames: Set<String> = ["euler", "k_euler", "flow_match_euler", "flow-match euler"]

    func register(on router: Router<BantamRequestContext>) {
        let services = services, jobs = services.jobs, limit = configuration.maxBodyBytes, version = configuration.version

        router.post("/sdapi/v1/txt2img") { request, _ in
            var request = request
            let fields = try await request.jsonObject(limit: limit)
            let (parameters, warnings) = try Self.parameters(fields, services: services)
            let sendImages = try fields.bool("send_images", default: true)
            let (submitted, _) = try await jobs.submit(parameters, source: .a1111)
            guard let job = try await jobs.waitUntilFinal(submitted.id) else {
                throw APIError(.serviceUnavailable, "shutting_down", "the server stopped before the job finished; it will run after a restart (job \(submitted.id))")
            }
            if job.status == .failed {
                throw APIError.invalid("the generation failed: \(job.error ?? "unknown reason") (job \(job.id))")
            }
            var images: [JSONOut] = []
            if sendImages {
                for image in job.images {
                    if let png = try jobs.images.read(name: image.fileName) { images.append(.string(Base64.encode(png))) }
                }
            }
            let info = Self.info(job, warnings: warnings, version: version)
            return Reply.json(["images": .array(images), "parameters": JSONOut(.object(fields.object)), "info": .string(info.text)])
        }

        router.get("/sdapi/v1/progress") { request, _ in
            let skipImage = request.uri.queryParameters.get("skip_current_image").map { $0 == "true" || $0 == "1" } ?? false
            let snapshot = await jobs.snapshot()
            let live = jobs.live.all.first
            var current: JSONOut = .null
            if !skipImage, let live, let png = jobs.live.preview(live.jobID) { current = .string(Base64.encode(png)) }
            let timestamp = live.map { Self.timestamp($0.startedAt) } ?? "0"
            return Reply.json([
                "progress": .double(live?.fraction ?? 0),
                "eta_relative": .double(live?.etaSeconds ?? 0),
                "state": [
                    "skipped": false, "interrupted": false, "stopping_generation": false,
                    "job": .string(live.map { "job \($0.jobID)" } ?? ""),
                    "job_count": .int(snapshot.queued.count + snapshot.running.count),
                    "job_timestamp": .string(timestamp),
                    "job_no": .int(live?.image ?? 0),
                    "sampling_step": .int(live?.step ?? 0),
                    "sampling_steps": .int(live?.steps ?? 0),
                ],
                "current_image": current,
                "textinfo": live.map { .string("\($0.phase.rawValue), step \($0.step)/\($0.steps)") } ?? .null,
                "current_task": .optional(live?.jobID),
            ])
        }

        router.post("/sdapi/v1/interrupt") { request, _ in
            var request = request
            _ = try await request.jsonObject(limit: limit, required: false)
            for job in await jobs.snapshot().running { _ = try await jobs.cancel(job.id) }
            return Reply.json(nil)
        }

        router.get("/sdapi/v1/sd-models") { _, _ in
            Reply.json(.array(services.catalog.models(refresh: false).filter(\.usable).map { model in
                ["title": .string(model.id), "model_name": .string(model.id), "hash": .null, "sha256": .null,
                 "filename": .string(model.path), "config": .null] as JSONOut
            }))
        }

        router.post("/sdapi/v1/refresh-checkpoints") { request, _ in
            var request = request
            _ = try await request.jsonObject(limit: limit, required: false)
            _ = services.catalog.models(refresh: true)
            return Reply.json(nil)
        }

        router.get("/sdapi/v1/options") { _, _ in Reply.json(Self.options(services)) }

        router.post("/sdapi/v1/options") { request, _ in
            var request = request
            let fields = try await request.jsonObject(limit: limit)
            if let name = try fields.optionalString("sd_model_checkpoint", maxCharacters: 256) {
                services.settings.defaultModel = try ParameterParsing.resolveModel(name, services: services).id
            }
            return Reply.json(true)
        }

        router.get("/sdapi/v1/samplers") { _, _ in
            Reply.json([["name": "Euler", "aliases": ["euler", "k_euler", "flow_match_euler"],
                         "options": ["scheduler": "simple"]]])
        }

        // Clients (webuiapi) ask which scripts exist to decide what to send; there are none.
        router.get("/sdapi/v1/scripts") { _, _ in Reply.json(["txt2img": [], "img2img": []]) }

        router.get("/sdapi/v1/schedulers") { _, _ in
            Reply.json([["name": "simple", "label": "Simple", "aliases": nil, "default_rho": -1, "need_inner_model": false]])
        }
    }

    /// The A1111 request as generation parameters, plus warnings about what was mapped or ignored.
    static func parameters(_ f: Fields, services: ServerServices) throws -> (GenerationParameters, [String]) {
        var warnings: [String] = []
        if try f.bool("enable_hr", default: false) {
            throw APIError.invalid("enable_hr (hires fix) is not available; generate at the final size instead")
        }
        if let script = try f.optionalString("script_name", maxCharacters: 200), !script.isEmpty {
            throw APIError.invalid("scripts are not available (script_name \"\(script.prefix(40))\"); leave script_name empty")
        }
        if let scripts = try f.object("alwayson_scripts"), scripts.object.count > 0 {
            warnings.append("alwayson_scripts are not available and were ignored: \(scripts.object.keys.joined(separator: ", "))")
        }
        let sampler = try f.optionalString("sampler_name", maxCharacters: 100) ?? f.optionalString("sampler_index", maxCharacters: 100)
        if let sampler, !samplerNames.contains(sampler.lowercased()) {
            warnings.append("sampler '\(sampler.prefix(40))' is not available for FLUX; used Euler (flow matching)")
        }
        let model = try ParameterParsing.resolveModel(
            try f.object("override_settings")?.optionalString("sd_model_checkpoint", maxCharacters: 256), services: services)
        let batch = try f.int("batch_size", default: 1, range: 1...ParameterRules.batchCount.upperBound)
        let iterations = try f.int("n_iter", default: 1, range: 1...ParameterRules.batchCount.upperBound)
        guard batch * iterations <= ParameterRules.batchCount.upperBound else {
            throw APIError.invalid("batch_size × n_iter is \(batch * iterations); at most \(ParameterRules.batchCount.upperBound) images per request")
        }
        let parameters = GenerationParameters(
            prompt: try f.string("prompt", default: "", maxCharacters: ParameterRules.promptCharacters),
            negativePrompt: try f.string("negative_prompt", default: "", maxCharacters: ParameterRules.promptCharacters),
            seed: try f.seed("seed") ?? ParameterRules.randomSeed(),
            steps: try f.int("steps", default: ParameterRules.defaultSteps, range: ParameterRules.steps),
            guidance: try f.double("distilled_cfg_scale", default: 3.5, range: ParameterRules.guidance),
            cfgScale: try f.double("cfg_scale", default: 1, range: ParameterRules.cfgScale),
            width: try ParameterParsing.side(f, "width"), height: try ParameterParsing.side(f, "height"),
            model: model.id, batchCount: batch * iterations)
        return (parameters, warnings)
    }

    /// A1111's `info` document (a JSON string inside the response).
    static func info(_ job: JobRecord, warnings: [String], version: String) -> JSONOut {
        let p = job.parameters
        let seeds = job.images.map { JSONOut.int(Int(clamping: $0.seed)) }
        let texts = job.images.map { JSONOut.string(infotext(p, seed: $0.seed, version: version)) }
        return [
            "prompt": .string(p.prompt), "all_prompts": .array(job.images.map { _ in .string(p.prompt) }),
            "negative_prompt": .string(p.negativePrompt),
            "all_negative_prompts": .array(job.images.map { _ in .string(p.negativePrompt) }),
            "seed": .int(Int(clamping: p.seed)), "all_seeds": .array(seeds), "subseed": -1,
            "all_subseeds": .array(job.images.map { _ in -1 }), "subseed_strength": 0,
            "width": .int(p.width), "height": .int(p.height), "sampler_name": "Euler", "cfg_scale": .double(p.cfgScale),
            "steps": .int(p.steps), "batch_size": .int(p.batchCount), "restore_faces": false,
            "sd_model_name": .string(p.model), "sd_model_hash": nil, "denoising_strength": nil,
            "extra_generation_params": ["Distilled CFG Scale": .double(p.guidance), "Schedule type": "Simple"],
            "index_of_first_image": 0, "infotexts": .array(texts), "styles": [],
            "job_timestamp": .string(timestamp(job.createdAt)), "clip_skip": 1, "version": .string(version),
            "bantam_job": .string(job.id), "status": .string(job.status.rawValue), "warnings": .array(warnings.map(JSONOut.string)),
        ]
    }

    /// The "parameters" text A1111 writes into its PNGs.
    static func infotext(_ p: GenerationParameters, seed: UInt64, version: String) -> String {
        let negative = p.negativePrompt.isEmpty ? "" : "\nNegative prompt: \(p.negativePrompt)"
        return "\(p.prompt)\(negative)\nSteps: \(p.steps), Sampler: Euler, Schedule type: Simple, CFG scale: \(Fields.short(p.cfgScale)), "
            + "Distilled CFG Scale: \(Fields.short(p.guidance)), Seed: \(seed), Size: \(p.width)x\(p.height), Model: \(p.model), Version: \(version)"
    }

    static func options(_ services: ServerServices) -> JSONOut {
        let usable = services.catalog.models(refresh: false).filter(\.usable)
        let current = services.settings.defaultModel.flatMap { id in usable.first { $0.id == id } } ?? usable.first
        return ["sd_model_checkpoint": .optional(current?.id), "sd_checkpoint_hash": nil, "samples_format": "png",
                "CLIP_stop_at_last_layers": 1, "eta_noise_seed_delta": 0, "sd_vae": "Automatic"]
    }

    /// "20261121184042" (UTC), A1111's job timestamp format.
    static func timestamp(_ seconds: Double) -> String {
        WallClock.iso8601(seconds).prefix(19).filter { $0.isNumber }
    }
}
