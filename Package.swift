// swift-tools-version: 6.1
// Bantam: a Swift engine for image diffusion transformers (FLUX.1, SD3.5, Qwen-Image) on small GPUs.
// One job per target; the dependency arrows point downwards only (see docs/architecture.md).
import PackageDescription

let package = Package(
    name: "Bantam",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bantam", targets: ["bantam"]),
        .library(name: "BantamCore", targets: ["BantamCore"]),
        .library(name: "BantamCPU", targets: ["BantamCPU"]),
        .library(name: "BantamIO", targets: ["BantamIO"]),
        .library(name: "BantamNN", targets: ["BantamNN"]),
        .library(name: "BantamQuant", targets: ["BantamQuant"]),
        .library(name: "BantamPipeline", targets: ["BantamPipeline"]),
        .library(name: "BantamCUDA", targets: ["BantamCUDA"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The server (BantamServer): HTTP with Hummingbird (without its Foundation and swift-configuration
        // traits), the job history in SQLite through GRDB (links the system's libsqlite3).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // Tensors, dtypes and their bit-exact conversions, the backend protocol and the op surface.
        .target(name: "BantamCore"),
        // The reference backend: readable kernels, f32 accumulation, multithreaded.
        .target(name: "BantamCPU", dependencies: ["BantamCore", "CBantamKernels"]),
        // The GEMM micro-kernels that need AVX2/AVX-512 (function-level target attributes, picked at
        // run time); everything else in the CPU backend is Swift.
        .target(name: "CBantamKernels"),
        // A strict JSON parser and writer (no Foundation): safetensors headers, configs, tokenizer files.
        .target(name: "BantamJSON"),
        // Checkpoint files: safetensors (mmap, lazy), sharded indexes, family/layout detection.
        .target(name: "BantamIO", dependencies: ["BantamCore", "BantamJSON"]),
        // Quantized weight storage (FP8 with scales, NF4 blocks), the readers of the quantized files people
        // have (ComfyUI fp8 / scaled fp8 / comfy_quant, bitsandbytes NF4), reference (de)quantizers,
        // precision policies.
        .target(name: "BantamQuant", dependencies: ["BantamCore", "BantamJSON"]),
        // Layers (Linear, norms, conv, embedding) and strict, declarative weight loading.
        .target(name: "BantamNN", dependencies: ["BantamCore", "BantamQuant"]),
        // CLIP BPE and T5 SentencePiece tokenizers, read from the files that ship with the models.
        .target(name: "BantamTokenizers", dependencies: ["BantamJSON"]),
        // FLUX transformer, CLIP and T5 text encoders, the FLUX autoencoder; one weight map per layout.
        .target(name: "BantamModels", dependencies: ["BantamCore", "BantamNN", "BantamIO", "BantamJSON"]),
        // Schedulers, torch-compatible noise, the FLUX text-to-image pipeline, PNG output.
        .target(name: "BantamPipeline", dependencies: ["BantamCore", "BantamNN", "BantamQuant", "BantamIO", "BantamJSON", "BantamModels", "BantamTokenizers"]),
        // NVIDIA GPUs through the driver API, NVRTC and cuBLASLt, all loaded with dlopen at run time (no
        // CUDA headers or libraries at build time): device memory, streams, kernels compiled at first use.
        .target(name: "BantamCUDA", dependencies: ["BantamCore"], exclude: ["README.md"],
                plugins: ["EmbedKernelSources"]),
        // Build tool: turns Sources/BantamCUDA/Kernels/cuda/*.cu(h) into a Swift string table at build time.
        .executableTarget(name: "EmbedKernelSourcesTool", path: "Plugins/EmbedKernelSourcesTool"),
        .plugin(name: "EmbedKernelSources", capability: .buildTool(), dependencies: ["EmbedKernelSourcesTool"]),
        // The web console and HTTP APIs: job queue and workers, history (SQLite), native and A1111 routes.
        // The console's files (Assets/) are compiled in by the EmbedAssets plugin.
        .target(name: "BantamServer", dependencies: [
            "BantamCore", "BantamNN", "BantamIO", "BantamJSON", "BantamModels", "BantamPipeline",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], exclude: ["Assets"], plugins: ["EmbedAssets"]),
        // Turns Sources/BantamServer/Assets into Swift string literals at build time (host tool + plugin).
        .executableTarget(name: "EmbedAssetsTool"),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["EmbedAssetsTool"]),
        // The `bantam` subcommands, as a library so tests can drive them in process.
        .target(name: "BantamCLI", dependencies: [
            "BantamCore", "BantamCPU", "BantamIO", "BantamPipeline", "BantamCUDA", "BantamQuant", "BantamModels", "BantamNN", "BantamServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "bantam", dependencies: ["BantamCLI"]),

        // Shared test helpers: float64 references, random tensors, assertClose.
        .target(name: "BantamTestSupport", dependencies: ["BantamCore"], path: "Tests/BantamTestSupport"),
        .testTarget(name: "BantamCoreTests", dependencies: ["BantamCore", "BantamCPU", "BantamTestSupport"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "BantamCPUTests", dependencies: ["BantamCore", "BantamCPU", "BantamTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "BantamIOTests", dependencies: ["BantamCore", "BantamCPU", "BantamIO", "BantamJSON", "BantamTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "BantamNNTests", dependencies: ["BantamNN", "BantamQuant", "BantamCore", "BantamCPU", "BantamTestSupport"]),
        .testTarget(name: "BantamQuantTests", dependencies: ["BantamQuant", "BantamNN", "BantamModels", "BantamCLI", "BantamIO",
                                                             "BantamJSON", "BantamCore", "BantamCPU", "BantamTestSupport"]),
        .testTarget(name: "BantamTokenizersTests", dependencies: ["BantamTokenizers", "BantamJSON", "BantamTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "BantamModelsTests", dependencies: ["BantamModels", "BantamNN", "BantamIO", "BantamCore", "BantamCPU", "BantamTestSupport"]),
        .testTarget(name: "BantamPipelineTests", dependencies: ["BantamPipeline", "BantamModels", "BantamNN", "BantamIO", "BantamJSON", "BantamCore", "BantamCPU", "BantamTestSupport"]),
        .testTarget(name: "BantamCUDATests", dependencies: ["BantamCUDA", "BantamCore", "BantamCPU", "BantamTestSupport"]),
        .testTarget(name: "BantamServerTests", dependencies: [
            "BantamServer", "BantamJSON", "BantamPipeline", "BantamCore", "BantamCPU", "BantamTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "BantamCLITests", dependencies: ["BantamCLI", "BantamIO", "BantamCore", "BantamCPU", "BantamPipeline", "BantamQuant", "BantamTestSupport"]),
    ]
)
