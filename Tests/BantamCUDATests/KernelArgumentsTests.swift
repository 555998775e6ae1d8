import BantamCUDA
import BantamTestSupport
import Testing

@Suite struct KernelArgumentsTests {
    /// Parameters keep their natural alignment, and the pointer array points at each value.
    @Test func packsParametersAtTheirAlignment() throws {
        var rng = TestRNG()
        let pointer = rng.next(), i = Int32(truncatingIfNeeded: rng.next()), f = rng.uniform(-10, 10)
        let u = rng.next(), small = UInt32(truncatingIfNeeded: rng.next())
        var args = KernelArguments()
        args.append(pointer: pointer)   // 0..<8
        args.append(i)                  // 8..<12
        args.append(f)                  // 12..<16
        args.append(small)              // 16..<20
        args.append(u)                  // 24..<32 (aligned to 8)
        #expect(args.offsets == [0, 8, 12, 16, 24])
        #expect(args.sizes == [8, 4, 4, 4, 8])
        args.withParameterPointers { params in
            #expect(UInt(bitPattern: params[0]!) % 16 == 0)
            #expect(params[0]!.load(as: UInt64.self) == pointer, "seed \(rng.seed)")
            #expect(params[1]!.load(as: Int32.self) == i)
            #expect(params[2]!.load(as: Float.self) == f)
            #expect(params[3]!.load(as: UInt32.self) == small)
            #expect(params[4]!.load(as: UInt64.self) == u)
            for k in 0..<5 { #expect(UInt(bitPattern: params[k]!) % UInt(args.sizes[k]) == 0) }
        }
    }

    /// KernelStruct follows C's layout rules, e.g. common.cuh's BtCopyDesc (3 x i64[6] + 5 x i32 = 164
    /// bytes, padded to 168).
    @Test func structsFollowCLayout() {
        var desc = KernelStruct()
        desc.append(int64s: [2, 3], count: 6)
        desc.append(int64s: [3, 1], count: 6)
        desc.append(int64s: [1, 2], count: 6)
        for v in [2, 1, 3, 4, 2] as [Int32] { desc.append(v) }
        #expect(desc.bytes.count == 164)
        #expect(desc.alignment == 8)
        #expect(desc.paddedBytes.count == 168)
        #expect(desc.paddedBytes[8] == 3 && desc.paddedBytes[16] == 0 && desc.paddedBytes[48] == 3)

        var mixed = KernelStruct()
        mixed.append(Int32(7))            // 0
        mixed.append(Int64(-1))           // 8 (4 bytes of padding first)
        mixed.append(Float(1.5))          // 16
        #expect(mixed.bytes.count == 20)
        #expect(mixed.paddedBytes.count == 24)
        #expect(Array(mixed.bytes[4..<8]) == [0, 0, 0, 0])
        #expect(Array(mixed.bytes[8..<16]) == [UInt8](repeating: 0xFF, count: 8))

        var args = KernelArguments()
        args.append(Int32(1))
        args.append(mixed)                // aligned to 8
        #expect(args.offsets == [0, 8])
        #expect(args.sizes == [4, 24])
    }

    @Test func linearLaunchShapes() {
        #expect(LaunchShape.linear(items: 1, maxBlocks: 100).grid.x == 1)
        #expect(LaunchShape.linear(items: 256, maxBlocks: 100).grid.x == 1)
        #expect(LaunchShape.linear(items: 257, maxBlocks: 100).grid.x == 2)
        #expect(LaunchShape.linear(items: 1 << 30, maxBlocks: 100).grid.x == 100)
        #expect(LaunchShape.linear(items: 0, maxBlocks: 100).grid.x == 1)
        #expect(LaunchShape.linear(items: 1000, threads: 128, maxBlocks: 100).block.x == 128)
    }
}
