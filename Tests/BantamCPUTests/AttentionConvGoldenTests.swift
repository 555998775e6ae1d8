import BantamCore
import BantamCPU
import BantamTestSupport
import Foundation
import Testing

/// PyTorch 2.13 goldens (scripts/goldens/cpu_attention_conv_goldens.py -> Fixtures/attention_conv.json):
/// F.scaled_dot_product_attention (attn_mask broadcast, is_causal with Lq ≠ Lk, fully masked rows,
/// custom scale), F.conv2d (stride, padding, dilation, groups) and F.interpolate(mode="nearest").
/// Inputs are float32; torch computed the outputs in float64, so the f32 kernels are held to
/// `tolerance(for: .f32, reduction:)`.
@Suite struct AttentionConvGoldenTests {
    struct Array4: Decodable {
        let shape: [Int]
        let data: [Float]
    }
    struct AttentionCase: Decodable {
        let name: String
        let q, k, v: Array4
        let mask: Array4?
        let causal: Bool
        let scale: Float?
        let out: Array4
    }
    struct ConvCase: Decodable {
        let name: String
        let x, weight: Array4
        let bias: Array4?
        let stride, padding, dilation: [Int]
        let groups: Int
        let out: Array4
    }
    struct InterpolateCase: Decodable {
        let name: String
        let x: Array4
        let factor: Int
        let out: Array4
    }
    struct Fixture: Decodable {
        let attention: [AttentionCase]
        let conv2d: [ConvCase]
        let interpolate: [InterpolateCase]
    }

    let cpu = CPUBackend.shared

    func fixture() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "attention_conv", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(Fixture.self, from: Data(contentsOf: url))
    }

    func tensor(_ a: Array4) throws -> Tensor { try Tensor(a.data, shape: Shape(a.shape), on: cpu) }

    @Test func attentionMatchesTorch() throws {
        let cases = try fixture().attention
        #expect(cases.count >= 8)
        for c in cases {
            let out = try attention(try tensor(c.q), try tensor(c.k), try tensor(c.v), bias: try c.mask.map(tensor),
                                    causal: c.causal, scale: c.scale)
            #expect(out.shape.dims == c.out.shape, "\(c.name)")
            let tol = tolerance(for: .f32, reduction: max(c.q.shape[3], c.k.shape[2]))
            let report = compare(try out.floats(), c.out.data.map(Double.init), atol: tol.atol, rtol: tol.rtol)
            #expect(report.violations == 0, "\(c.name): \(report)")
        }
    }

    @Test func conv2dMatchesTorch() throws {
        let cases = try fixture().conv2d
        #expect(cases.count >= 8)
        for c in cases {
            let params = Conv2dParams(stride: (c.stride[0], c.stride[1]), padding: (c.padding[0], c.padding[1]),
                                      dilation: (c.dilation[0], c.dilation[1]), groups: c.groups)
            let out = try conv2d(try tensor(c.x), weight: try tensor(c.weight), bias: try c.bias.map(tensor), params: params)
            #expect(out.shape.dims == c.out.shape, "\(c.name)")
            let w = c.weight.shape
            let tol = tolerance(for: .f32, reduction: w[1] * w[2] * w[3])
            let report = compare(try out.floats(), c.out.data.map(Double.init), atol: tol.atol, rtol: tol.rtol)
            #expect(report.violations == 0, "\(c.name): \(report)")
        }
    }

    @Test func interpolateMatchesTorch() throws {
        let cases = try fixture().interpolate
        #expect(cases.count >= 3)
        for c in cases {
            let out = try upsampleNearest2d(try tensor(c.x), factor: c.factor)
            #expect(out.shape.dims == c.out.shape, "\(c.name)")
            #expect(try out.floats() == c.out.data, "\(c.name)")
        }
    }
}
