import BantamCore
import BantamCPU
import BantamIO
import BantamTestSupport

/// Reading the golden files of the pipeline tests.
enum PipelineFixtures {
    /// Tests/Fixtures/pipeline/<name>.
    static func path(_ name: String) -> String { Fixtures.path("pipeline/" + name) }

    /// A tensor of a safetensors file as f32 values.
    static func floats(_ file: SafetensorsFile, _ name: String) throws -> [Float] {
        try file.tensor(name, on: CPUBackend.shared).floats()
    }

    /// Distance in units in the last place between two finite floats.
    static func ulps(_ a: Float, _ b: Float) -> Int {
        func ordered(_ x: Float) -> Int64 {
            let bits = Int64(Int32(bitPattern: x.bitPattern))
            return bits < 0 ? Int64(Int32.min) - bits : bits
        }
        return Int(abs(ordered(a) - ordered(b)))
    }
}
