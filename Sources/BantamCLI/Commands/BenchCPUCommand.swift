import ArgumentParser
import BantamCore

/// `bantam bench cpu`: GFLOP/s of the CPU backend's matrix product.
struct BenchCPUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpu",
        abstract: "Time the CPU matrix product (GFLOP/s, median of several runs)."
    )

    @Option(name: .customShort("m"), help: "Rows of the left matrix.") var m = 1024
    @Option(name: .customShort("n"), help: "Columns of the right matrix.") var n = 1024
    @Option(name: .customShort("k"), help: "Inner size.") var k = 1024
    @Option(name: .long, help: "Element type: f32, f16 or bf16.") var dtype = "f32"
    @Option(name: .long, help: "Timed runs after one warm-up; the median is reported.") var repeats = 5
    @Flag(name: .long, help: "Print one JSON object instead of text.") var json = false
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard m > 0, n > 0, k > 0 else { throw ValidationError("-m, -n and -k must be positive") }
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        guard Self.dtypes[dtype] != nil else { throw ValidationError("--dtype must be f32, f16 or bf16, got '\(dtype)'") }
    }

    static let dtypes: [String: DType] = ["f32": .f32, "f16": .f16, "bf16": .bf16]

    func run() throws {
        let backend = threadOptions.backend
        let result = try MatmulTiming.measure(m: m, n: n, k: k, dtype: Self.dtypes[dtype]!, backend: backend, repeats: repeats)
        let out = Console.output
        if json {
            out.line(JSON.object([
                ("m", .int(m)), ("n", .int(n)), ("k", .int(k)), ("dtype", .string(dtype)),
                ("threads", .int(backend.threads)), ("repeats", .int(repeats)),
                ("seconds", .double(result.seconds)), ("gflops", .double(result.gflops)),
            ]).serialized(indent: nil))
        } else {
            out.line("cpu matmul \(m)×\(k) · \(k)×\(n) \(dtype), \(backend.threads) threads: "
                     + "\(Format.seconds(result.seconds)) median of \(repeats), \(Format.fixed(result.gflops, 1)) GFLOP/s")
        }
    }
}
