import NIOConcurrencyHelpers

/// An 8-bit RGB image, row-major, 3 bytes per pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes is not \(width)×\(height)×3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A copy at most `maxSide` pixels on its longer side (box filter), for previews.
    public func downscaled(maxSide: Int) -> RGBImage {
        let factor = (max(width, height) + maxSide - 1) / maxSide
        guard factor > 1 else { return self }
        let w = max(1, width / factor), h = max(1, height / factor)
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<factor {
                        let row = (y * factor + dy) * width
                        for dx in 0..<factor { sum += Int(pixels[(row + x * factor + dx) * 3 + c]) }
                    }
                    out[(y * w + x) * 3 + c] = UInt8(sum / (factor * factor))
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}

/// Which compute device a worker owns.
public struct ComputeDevice: Sendable, Equatable {
    public enum Kind: String, Sendable { case cpu, gpu }
    public let kind: Kind
    /// 0-based among devices of the same kind.
    public let index: Int
    /// Human name ("CPU (16 threads)", "NVIDIA RTX 4060").
    public let name: String

    public init(kind: Kind, index: Int, name: String) {
        self.kind = kind
        self.index = index
        self.name = name
    }

    public var id: String { "\(kind.rawValue)\(index)" }
}

/// One image to make: the job's parameters and which image of its batch this is.
public struct ImageRequest: Sendable {
    public let jobID: String
    public let parameters: GenerationParameters
    /// This image's seed (`parameters.seed + index`).
    public let seed: UInt64
    public let index: Int
    /// The model resolved from the catalog (its path on disk).
    public let model: ModelEntry
    public let device: ComputeDevice

    public init(jobID: String, parameters: GenerationParameters, seed: UInt64, index: Int, model: ModelEntry, device: ComputeDevice) {
        self.jobID = jobID
        self.parameters = parameters
        self.seed = seed
        self.index = index
        self.model = model
        self.device = device
    }
}

/// What a generator reports while it works.
public struct GenerationProgress: Sendable {
    public enum Phase: String, Sendable { case loading, encoding, denoising, decoding }
    public var phase: Phase
    /// Denoising steps done, of `steps` (0 before the first step).
    public var step: Int
    public var steps: Int
    /// Mean seconds per step so far, and the estimate of what is left of this image.
    public var secondsPerStep: Double
    public var etaSeconds: Double
    /// An approximate picture of the current latents, when the generator made one for this step.
    public var preview: RGBImage?

    public init(phase: Phase, step: Int, steps: Int, secondsPerStep: Double = 0, etaSeconds: Double = 0, preview: RGBImage? = nil) {
        self.phase = phase
        self.step = step
        self.steps = steps
        self.secondsPerStep = secondsPerStep
        self.etaSeconds = etaSeconds
        self.preview = preview
    }
}

/// A finished image and what to write into its PNG.
public struct GeneratedImage: Sendable {
    public let image: RGBImage
    /// PNG text chunks (keyword, text): A1111 "parameters" and the generator's own JSON.
    public let pngText: [PNGText]
    /// Seconds the generation took (loading included when the model had to be loaded).
    public let seconds: Double

    public init(image: RGBImage, pngText: [PNGText], seconds: Double) {
        self.image = image
        self.pngText = pngText
        self.seconds = seconds
    }
}

/// One text chunk of a PNG file.
public struct PNGText: Sendable, Equatable {
    public let keyword: String
    public let text: String
    public init(_ keyword: String, _ text: String) {
        self.keyword = keyword
        self.text = text
    }
}

/// Set by whoever cancels a job; read by the generator between steps.
public final class CancellationFlag: Sendable {
    private let box = NIOLockedValueBox(false)
    public init() {}
    public var isCancelled: Bool { box.withLockedValue { $0 } }
    public func cancel() { box.withLockedValue { $0 = true } }
    /// Throws `GenerationCancelled` once cancelled.
    public func check() throws {
        if isCancelled { throw GenerationCancelled() }
    }
}

/// Thrown by a generator that stopped because its job was cancelled.
public struct GenerationCancelled: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "cancelled" }
}

/// Makes images. Implementations: `FluxImageGenerator` (BantamPipeline's FLUX pipeline) and
/// `FakeImageGenerator` (deterministic pictures, for tests and for trying the console without a model).
///
/// `generate` may take long; it must check `cancellation` regularly (at least once per step) and throw
/// `GenerationCancelled` when it is set, and it must not block the caller's executor with compute: run the
/// work on a thread of its own. Errors are reported to users as they are (one line: what is wrong and what
/// to do), so throw errors whose description says that.
public protocol ImageGenerator: Sendable {
    func generate(_ request: ImageRequest, cancellation: CancellationFlag,
                  progress: @escaping @Sendable (GenerationProgress) -> Void) async throws -> GeneratedImage
}
