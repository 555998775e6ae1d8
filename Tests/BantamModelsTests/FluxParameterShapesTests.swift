import BantamCore
import BantamJSON
import BantamModels
import BantamTestSupport
import Testing

@Suite struct FluxParameterShapesTests {
    /// "name d0,d1" lines of the key sets the flux-transformer golden script checked against diffusers.
    static func keySet(_ file: String) throws -> [String: Shape] {
        let text = try SmallFile.text(at: Fixtures.path("flux-transformer/keys/\(file)"))
        var out: [String: Shape] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            out[String(parts[0])] = Shape(parts.count > 1 ? parts[1].split(separator: ",").map { Int($0)! } : [])
        }
        return out
    }

    @Test(arguments: [(true, "flux1-dev-bfl.txt", 780), (false, "flux1-schnell-bfl.txt", 776)])
    func fullSizeShapesEqualTheReferenceKeySet(guidance: Bool, file: String, count: Int) throws {
        let shapes = FluxTransformerConfig.flux1(guidanceEmbed: guidance).bflParameterShapes()
        #expect(shapes.count == count)
        let expected = try Self.keySet(file)
        #expect(Dictionary(uniqueKeysWithValues: shapes.map { ($0.name, $0.shape) }) == expected)
        if guidance {
            #expect(shapes.reduce(0) { $0 + $1.shape.count } == 11_901_408_320)
        }
    }
}
