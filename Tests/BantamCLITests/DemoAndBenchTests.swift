import Testing
import BantamCLI

@Suite("bantam demo and bench cpu, in process")
struct DemoAndBenchTests {
    /// A CPU kernel that is still a stub gives status 3 and says so; otherwise the command succeeds.
    func expectDoneOrPending(_ r: (code: Int32, out: String, err: String)) {
        if r.code == 3 {
            #expect(r.err.hasPrefix("error: ") && r.err.contains("not"), "\(r.err)")
        } else {
            #expect(r.code == 0, "\(r.err)")
            #expect(r.err.isEmpty)
        }
    }

    @Test("demo writes, detects and runs a tiny FLUX-shaped checkpoint")
    func demo() async {
        let r = await bantam(["demo", "--side", "3", "--text-tokens", "5", "--matmul-size", "16", "--threads", "2"])
        expectDoneOrPending(r)
        #expect(r.out.contains("   FLUX.1-dev transformer, BFL layout\n"))
        #expect(r.out.contains("   hidden 128, 2 double + 2 single blocks, 4 heads × 32, MLP 512, in 64, context 4096\n"))
        #expect(r.out.contains("84 tensors"))
        #expect(r.out.contains("Removed the temporary folder"))
        if r.code == 0 {
            #expect(r.out.contains("image stream out: [1, 9, 128]"))
            #expect(r.out.contains("all finite"))
            #expect(r.out.contains("GFLOP/s"))
        }
    }

    @Test("bench cpu --json prints one object with the sizes and a positive rate")
    func benchCPU() async throws {
        let r = await bantam(["bench", "cpu", "-m", "8", "-n", "5", "-k", "3", "--repeats", "1", "--json", "--threads", "1"])
        expectDoneOrPending(r)
        if r.code == 0 {
            let doc = try parseJSON(r.out)
            #expect(doc["m"] as? Int == 8 && doc["n"] as? Int == 5 && doc["k"] as? Int == 3)
            #expect(doc["threads"] as? Int == 1)
            #expect((doc["gflops"] as? Double ?? 0) > 0)
        }
    }
}
