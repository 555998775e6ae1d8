import BantamCore
import BantamCPU
import BantamTestSupport
import Foundation
import Testing

/// The CPU kernels against PyTorch's own outputs (Fixtures/cpu_ops_goldens.json, written by
/// scripts/goldens/cpu_ops_goldens.py with torch 2.13.0+cpu): gelu (tanh), layer_norm, group_norm,
/// rms_norm and softmax, in f32 and bf16, on the same (already rounded) inputs.
@Suite struct PyTorchGoldenTests {
    struct Case: Decodable {
        let op: String
        let dtype: String
        let shape: [Int]
        let x: [Double]
        let out: [Double]
        let weight: [Double]?
        let bias: [Double]?
        let eps: Double?
        let groups: Int?
    }

    struct Document: Decodable {
        let versions: [String: String]
        let cases: [Case]
    }

    static func load() throws -> Document {
        let url = try #require(Bundle.module.url(forResource: "cpu_ops_goldens", withExtension: "json",
                                                 subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        return try decoder.decode(Document.self, from: Data(contentsOf: url))
    }

    /// Runs one golden case through the public op.
    static func run(_ c: Case, on cpu: CPUBackend) throws -> [Float] {
        let dtype: DType = c.dtype == "bf16" ? .bf16 : .f32
        let x = try Tensor(c.x.map(Float.init), shape: Shape(c.shape), dtype: dtype, on: cpu)
        func vector(_ v: [Double]?) throws -> Tensor? {
            try v.map { try Tensor($0.map(Float.init), shape: [$0.count], dtype: dtype, on: cpu) }
        }
        let eps = Float(c.eps ?? 0)
        switch c.op {
        case "gelu_tanh": return try gelu(x).floats()
        case "layer_norm": return try layerNorm(x, weight: vector(c.weight), bias: vector(c.bias), eps: eps).floats()
        case "group_norm":
            return try groupNorm(x, groups: c.groups ?? 1, weight: vector(c.weight), bias: vector(c.bias), eps: eps).floats()
        case "rms_norm": return try rmsNorm(x, weight: vector(c.weight), eps: eps).floats()
        case "softmax": return try softmax(x).floats()
        default: throw TensorError.invalidArgument("unknown golden op \(c.op)")
        }
    }

    /// f32: within a few f32 ulps of torch (torch's vectorized tanh/exp are Sleef's, and its layer/group
    /// norm folds the affine map into x·s + t, so last bits differ).
    ///
    /// bf16: torch's bf16 CPU kernels for these ops also compute in f32 and round once, so most elements
    /// match exactly; where the two f32 intermediates differ by an ulp and straddle a bf16 rounding
    /// midpoint, the rounded results land one bf16 ulp apart. So: every element within one bf16 ulp, and
    /// at most 2% of them off by that ulp. (With the committed fixture every bf16 element matches exactly.)
    @Test func matchesPyTorch() throws {
        let document = try Self.load()
        #expect(document.cases.count == 14)
        let cpu = CPUBackend.shared
        for c in document.cases {
            let got = try Self.run(c, on: cpu)
            try #require(got.count == c.out.count)
            let name = "\(c.op) \(c.dtype) \(c.shape) (torch \(document.versions["torch"] ?? "?"))"
            if c.dtype == "f32" {
                let report = compare(got, c.out, atol: 1e-6, rtol: 8 * 0x1p-24)
                #expect(report.violations == 0, "\(name): \(report)")
            } else {
                var offByOne = 0, worse = 0
                for (a, e) in zip(got, c.out) {
                    if a == Float(e) || (a.isNaN && e.isNaN) { continue }
                    let bf16Ulp = Float(bitPattern: Float(e).magnitude.bitPattern & 0x7F80_0000) * 0x1p-7
                    if (Double(a) - e).magnitude <= Double(bf16Ulp) * 1.0001 { offByOne += 1 } else { worse += 1 }
                }
                #expect(worse == 0, "\(name): \(worse) elements more than one bf16 ulp from torch")
                #expect(offByOne * 50 <= got.count, "\(name): \(offByOne)/\(got.count) elements one bf16 ulp from torch")
                if offByOne > 0 { print("\(name): \(offByOne)/\(got.count) elements one bf16 ulp from torch") }
            }
        }
    }
}
