import BantamCLI
import BantamCore
import BantamCPU
import BantamCUDA
import Testing

@Suite("bantam doctor and its self-test table")
struct DoctorTests {
    /// Without a GPU (CI): one line, exit 0, with or without --self-test.
    @Test func withoutGPU() async {
        guard case .failure(let why) = CUDARuntime.shared else { return }     // a GPU machine: nothing to check here
        for arguments in [["doctor"], ["doctor", "--self-test"], ["doctor", "--bandwidth", "--vram", "-1G"]] {
            let r = await bantam(arguments)
            #expect(r.code == 0, "\(arguments): \(r.err)")
            #expect(r.out == "no CUDA GPU: \(why.reason); Bantam runs on the CPU\n")
            #expect(r.err.isEmpty)
        }
    }

    @Test func badBudgetIsAUsageError() async {
        let r = await bantam(["doctor", "--vram", "lots"])
        #expect(r.code == 2)
        #expect(r.err.hasPrefix("error: --vram 'lots' is not a size"))
    }

    /// The table runs with the CPU standing in for the device: every row builds its inputs, runs and
    /// compares (so a broken row is caught on machines without a GPU). The model-sized rows are left out
    /// (seconds each on the CPU); their names are still checked.
    @Test func tableRunsWithCPUAsDevice() {
        let seed = UInt64.random(in: 0...UInt64.max)
        let results = SelfTest.run(SelfTestCases.standard, device: CPUBackend(threads: 2), seed: seed)
        #expect(results.count == SelfTestCases.standard.count)
        #expect(Set(SelfTestCases.all.map(\.name)).count == SelfTestCases.all.count, "row names must be unique")
        for r in results {
            #expect(r.status == .pass, "seed \(seed): \(r.name): \(r.detail)")
            #expect(r.maxError == 0, "\(r.name)")
        }
    }

    /// A device that computes something else, leaves NaN, or lacks the op: fail, fail, skip.
    @Test func mismatchesAreCaught() {
        let reference = SelfTest.reference
        let cases = [
            SelfTestCase("scaled", op: .copy, dtype: .f32, tolerance: .close(atol: 1e-6, rtol: 1e-4),
                         inputs: { [try $0.tensor([33], dtype: .f32)] },
                         run: { x in x[0].backend === reference ? x[0] : try x[0] * 1.001 }),
            SelfTestCase("poisoned", op: .copy, dtype: .f32, tolerance: .exact,
                         inputs: { [try $0.tensor([33], dtype: .f32)] },
                         run: { x in
                             x[0].backend === reference ? x[0]
                                 : try Tensor.full(.nan, shape: [33], dtype: .f32, on: x[0].backend)
                         }),
            SelfTestCase("bits", op: .copy, dtype: .f32, tolerance: .exact,
                         inputs: { _ in [try Tensor([0], shape: [1], dtype: .f32, on: reference)] },
                         run: { x in x[0].backend === reference ? x[0] : try Tensor([-0.0], shape: [1], on: x[0].backend) }),
            SelfTestCase("packed fill", op: .fill, dtype: .u4, tolerance: .exact,
                         inputs: { _ in [] }, run: { _ in throw TensorError.invalidArgument("not reached") }),
        ]
        let results = SelfTest.run(cases, device: CPUBackend(threads: 1), seed: 1)
        #expect(results.map(\.status) == [.fail, .fail, .fail, .skip])
        #expect(results[0].maxError ?? 0 > 0)
        #expect(results[1].detail.contains("NaN"))
        #expect(results[2].detail.contains("different bits"))
    }
}
