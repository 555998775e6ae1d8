import BantamCore
import BantamCPU
import BantamCUDA

/// One row of `bantam doctor --self-test`: an op run on the device and on the CPU reference backend with the
/// same fresh random inputs, compared with a stated tolerance.
///
/// Kernel helpers add rows for their ops (see SelfTestCases.swift): build inputs on the CPU with `rng`,
/// write `run` with the public op functions (it runs unchanged on both backends), pick a tolerance.
public struct SelfTestCase: Sendable {
    /// One line, e.g. "cast f32→bf16 [4099]".
    public let name: String
    /// The op and main input dtype the device must support; otherwise the row is skipped.
    public let op: OpKind
    public let dtype: DType
    public let tolerance: SelfTestTolerance
    /// Inputs as CPU tensors (drawn fresh each run from `rng`).
    public let inputs: @Sendable (inout SelfTestRandom) throws -> [Tensor]
    /// The op under test; gets the inputs on the backend being tested and returns the output there.
    public let run: @Sendable ([Tensor]) throws -> Tensor

    public init(_ name: String, op: OpKind, dtype: DType, tolerance: SelfTestTolerance,
                inputs: @escaping @Sendable (inout SelfTestRandom) throws -> [Tensor],
                run: @escaping @Sendable ([Tensor]) throws -> Tensor) {
        self.name = name
        self.op = op
        self.dtype = dtype
        self.tolerance = tolerance
        self.inputs = inputs
        self.run = run
    }
}

/// How close the device output must be to the CPU's.
public enum SelfTestTolerance: Sendable, CustomStringConvertible {
    /// Bit for bit (copies, casts, fills).
    case exact
    /// |device - cpu| <= atol + rtol·|cpu| for every element; NaN only where the CPU has NaN.
    case close(atol: Double, rtol: Double)

    public var description: String {
        switch self {
        case .exact: return "exact"
        case .close(let atol, let rtol): return "atol \(atol) rtol \(rtol)"
        }
    }
}

/// SplitMix64 for self-test inputs (seeded; the seed is printed so a failure can be replayed with --seed).
public struct SelfTestRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [lower, upper).
    public mutating func uniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * Float(next() >> 40) * 0x1p-24
    }

    /// `count` values: normal-ish (sum of uniforms) times `scale`.
    public mutating func values(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in (uniform(-1, 1) + uniform(-1, 1) + uniform(-1, 1)) * scale }
    }

    /// A CPU tensor of `dtype` holding random values (rounded as a cast would).
    public mutating func tensor(_ shape: Shape, dtype: DType, scale: Float = 1) throws -> Tensor {
        try Tensor(values(shape.count, scale: scale), shape: shape, dtype: dtype, on: SelfTest.reference)
    }

    /// A CPU tensor whose bytes are random bit patterns (every code of the format, NaN and Inf included).
    public mutating func bitsTensor(_ shape: Shape, dtype: DType) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        let host = HostBuffer(byteCount: bytes)
        for i in 0..<bytes { host.base.storeBytes(of: UInt8(truncatingIfNeeded: next()), toByteOffset: i, as: UInt8.self) }
        return try SelfTest.reference.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: shape)
    }
}

/// The outcome of one row.
public struct SelfTestResult: Sendable {
    public enum Status: String, Sendable { case pass, fail, skip }
    public let name: String
    public let status: Status
    /// Largest |device - cpu| (0 for a bit-exact match; nil when skipped or failed before comparing).
    public let maxError: Double?
    /// Seconds of the timed device run (after a warm-up run that compiles kernels).
    public let seconds: Double?
    /// Why it failed or was skipped.
    public let detail: String
}

/// Runs self-test rows against a reference backend.
public enum SelfTest {
    /// The reference every device is compared with.
    public static let reference: any Backend = CPUBackend.shared

    /// Runs every case on `device` and `reference`, calling `report` after each row.
    public static func run(_ cases: [SelfTestCase], device: any Backend, seed: UInt64,
                           report: (SelfTestResult) -> Void = { _ in }) -> [SelfTestResult] {
        var rng = SelfTestRandom(seed: seed)
        var results: [SelfTestResult] = []
        for test in cases {
            let result = runOne(test, device: device, rng: &rng)
            report(result)
            results.append(result)
        }
        return results
    }

    static func runOne(_ test: SelfTestCase, device: any Backend, rng: inout SelfTestRandom) -> SelfTestResult {
        guard device.supports(test.op, dtype: test.dtype) else {
            return SelfTestResult(name: test.name, status: .skip, maxError: nil, seconds: nil, detail: "\(test.op) \(test.dtype) unsupported")
        }
        do {
            let inputs = try test.inputs(&rng)
            let expected = try test.run(inputs).contiguous()
            let deviceInputs = try inputs.map { try $0.to(device) }
            _ = try test.run(deviceInputs)                       // warm-up: compiles and loads kernels
            try device.synchronize()
            let start = MonotonicClock.now()
            let output = try test.run(deviceInputs)
            try device.synchronize()
            let seconds = MonotonicClock.now() - start
            guard output.shape == expected.shape, output.dtype == expected.dtype else {
                return SelfTestResult(name: test.name, status: .fail, maxError: nil, seconds: seconds,
                                      detail: "got \(output.dtype) \(output.shape), expected \(expected.dtype) \(expected.shape)")
            }
            let (maxError, problem) = try compare(output, expected, tolerance: test.tolerance)
            return SelfTestResult(name: test.name, status: problem == nil ? .pass : .fail, maxError: maxError,
                                  seconds: seconds, detail: problem ?? "")
        } catch {
            return SelfTestResult(name: test.name, status: .fail, maxError: nil, seconds: nil, detail: "\(error)")
        }
    }

    /// (largest |a - e|, first problem or nil).
    static func compare(_ actual: Tensor, _ expected: Tensor, tolerance: SelfTestTolerance) throws -> (Double, String?) {
        let a = try actual.hostBuffer(), e = try expected.hostBuffer()
        let isInteger = !expected.dtype.isFloatingPoint
        let av = isInteger ? try actual.ints().map(Double.init) : try actual.floats().map(Double.init)
        let ev = isInteger ? try expected.ints().map(Double.init) : try expected.floats().map(Double.init)
        var maxError = 0.0
        var problem: String? = nil
        for i in 0..<ev.count {
            let (x, y) = (av[i], ev[i])
            if x.isNaN || y.isNaN {
                if x.isNaN != y.isNaN && problem == nil { problem = "element \(i) is \(x), expected \(y) (NaN marks an unwritten output)" }
                continue
            }
            let error = x == y ? 0 : abs(x - y)        // equal infinities are no error
            if error.isNaN { if problem == nil { problem = "element \(i) is \(x), expected \(y)" }; continue }
            maxError = max(maxError, error)
            if case .close(let atol, let rtol) = tolerance, error > atol + rtol * abs(y), problem == nil {
                problem = "element \(i) is \(x), expected \(y)"
            }
        }
        if case .exact = tolerance, problem == nil, a.byteCount == e.byteCount,
           memcmpBytes(a.base, e.base, e.byteCount) != 0 {
            // Values agree but bits differ (a NaN payload, the sign of a zero): find the first element.
            let width = expected.dtype.bytesPerBlock
            for i in 0..<(e.byteCount / width) where memcmpBytes(a.base + i * width, e.base + i * width, width) != 0 {
                problem = "element \(i) has different bits (\(hex(a.base + i * width, width)) vs \(hex(e.base + i * width, width)))"
                break
            }
        }
        return (maxError, problem)
    }

    static func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int32 {
        for i in 0..<n {
            let x = a.load(fromByteOffset: i, as: UInt8.self), y = b.load(fromByteOffset: i, as: UInt8.self)
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    static func hex(_ p: UnsafeRawPointer, _ n: Int) -> String {
        "0x" + (0..<n).reversed().map { i in
            let s = String(p.load(fromByteOffset: i, as: UInt8.self), radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }
}
