import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// Moving data in and out of tensors, between backends, and casting through the CPU backend's copy.
@Suite("Tensor host data and casts")
struct TensorHostTests {
    let cpu = CPUBackend.shared

    @Test("Tensor(ints:) and ints() round-trip for every integer dtype; other dtypes are refused",
          arguments: [DType.i64, .i32, .i16, .i8, .u8, .bool])
    func ints(dtype: DType) throws {
        let values: [Int] = switch dtype {
        case .i64: [Int(Int64.min), -1, 0, 1, Int(Int64.max), 1 << 40]
        case .i32: [Int(Int32.min), -7, 0, 3, Int(Int32.max), 100_000]
        case .i16: [-32768, -5, 0, 9, 32767, 1234]
        case .i8: [-128, -1, 0, 1, 127, 42]
        case .u8: [0, 1, 2, 128, 255, 77]
        default: [0, 1, 1, 0, 1, 0]
        }
        let t = try Tensor(ints: values, shape: [2, 3], dtype: dtype, on: cpu)
        #expect(t.dtype == dtype && t.shape == [2, 3])
        #expect(try t.ints() == values)
        #expect(try t.T.ints() == [values[0], values[3], values[1], values[4], values[2], values[5]])
        #expect(try t.floats() == values.map(Float.init))
    }

    @Test("ints() of packed u4 and refusals of float dtypes")
    func intsRefused() throws {
        let packed = try Tensor([1, 2, 3, 15, 0, 7], shape: [6], dtype: .u4, on: cpu)
        #expect(try packed.ints() == [1, 2, 3, 15, 0, 7])
        expectTensorError(["Tensor(ints:)", "f32", "not an integer dtype"]) { try Tensor(ints: [1], shape: [1], dtype: .f32, on: cpu) }
        expectTensorError(["ints()", "bf16", "not an integer dtype"]) { try Tensor([1], shape: [1], dtype: .bf16, on: cpu).ints() }
    }

    @Test("to(_:) returns the same tensor on its own backend and copies to another")
    func toBackend() throws {
        let x = try Tensor((0..<12).map(Float.init), shape: [3, 4], dtype: .bf16, on: cpu)
        let same = try x.to(cpu)
        #expect(same.storage === x.storage && same.backend === cpu)
        // Another CPU backend may wrap the same host memory (no copy is needed between host backends).
        let other = CPUBackend(threads: 1)
        let moved = try x.to(other)
        #expect(moved.backend === other && moved.dtype == .bf16 && moved.shape == [3, 4])
        #expect(try moved.floats() == x.floats())
        let movedView = try x.T.to(other)   // a strided view moves in logical order
        #expect(movedView.shape == [4, 3] && movedView.isContiguous)
        #expect(try movedView.floats() == x.T.contiguous().floats())
        expectTensorError(["add", "different backends", ".to(_:)"]) {
            let y = try Tensor.zeros([3, 4], on: other)
            return try x.cast(to: .f32) + y
        }
    }

    @Test("cast f32 -> FP8 -> f32 through the CPU copy equals the scalar functions (torch 2.13: 500 -> 448)")
    func fp8Cast() throws {
        var rng = TestRNG()
        var xs: [Float] = [500, -500, 448, 464, 464.00003, 480, 1e30, .infinity, -.infinity, .nan, 61440, 65536, 1e-9, -0.0]
        xs += (0..<4000).map { _ in rng.normal() * Float(sign: .plus, exponent: Int(rng.next() % 30) - 15, significand: 1) }
        let x = try Tensor(xs, shape: [xs.count], on: cpu)
        let e4 = try x.cast(to: .f8e4m3fn).cast(to: .f32).floats()
        let e5 = try x.cast(to: .f8e5m2).cast(to: .f32).floats()
        for (i, v) in xs.enumerated() {
            let want4 = FloatBits.float(fromF8E4M3FN: FloatBits.f8e4m3fn(fromFloat: v))
            let want5 = FloatBits.float(fromF8E5M2: FloatBits.f8e5m2(fromFloat: v))
            #expect(e4[i].bitPattern == want4.bitPattern, "e4m3fn cast of \(v): \(e4[i]), expected \(want4) (seed \(rng.seed))")
            #expect(e5[i].bitPattern == want5.bitPattern, "e5m2 cast of \(v): \(e5[i]), expected \(want5) (seed \(rng.seed))")
        }
        // torch 2.13 (the golden's version) saturates e4m3fn: 500 -> 448, -inf -> -448; NaN stays NaN.
        #expect(e4[0] == 448 && e4[1] == -448 && e4[6] == 448 && e4[7] == 448 && e4[8] == -448 && e4[9].isNaN)
        #expect(e5[11] == .infinity && e5[10] == .infinity && e5[7] == .infinity && e5[9].isNaN)
    }

    @Test("cast between float, integer and bool dtypes, contiguous and strided")
    func casts() throws {
        let xs: [Float] = [-2.7, 2.7, 300, -300, 0.5, -0.5, 65504, 1e-3]
        let x = try Tensor(xs, shape: [2, 4], on: cpu)
        #expect(try x.cast(to: .f32).storage === x.storage)
        #expect(try x.cast(to: .i32).ints() == [-2, 2, 300, -300, 0, 0, 65504, 0])
        #expect(try x.cast(to: .i8).ints() == [-2, 2, 127, -128, 0, 0, 127, 0])
        #expect(try x.cast(to: .u8).ints() == [0, 2, 255, 0, 0, 0, 255, 0])
        #expect(try x.cast(to: .bool).ints() == [1, 1, 1, 1, 1, 1, 1, 1])
        #expect(try x.T.cast(to: .i16).ints() == [-2, 0, 2, 0, 300, 32767, -300, 0])
        for dtype in [DType.bf16, .f16, .f64] {
            let want = xs.map { v -> Float in
                switch dtype {
                case .bf16: return FloatBits.float(fromBF16: FloatBits.bf16(fromFloat: v))
                case .f16: return FloatBits.float(fromF16: FloatBits.f16(fromFloat: v))
                default: return v
                }
            }
            #expect(try x.cast(to: dtype).floats() == want, "\(dtype)")
            #expect(try x.T.cast(to: dtype).cast(to: .f32).floats() == x.T.contiguous().cast(to: dtype).floats(), "\(dtype) strided")
        }
        // Integer to integer wraps like torch; integer to float is exact here.
        let ints = try Tensor(ints: [300, -129, 127, 65535], shape: [4], dtype: .i32, on: cpu)
        #expect(try ints.cast(to: .i8).ints() == [44, 127, 127, -1])
        #expect(try ints.cast(to: .f32).floats() == [300, -129, 127, 65535])
        #expect(try ints.cast(to: .bool).ints() == [1, 1, 1, 1])
        // Packed u4 unpacks to any dtype.
        let packed = try Tensor([3, 15, 0, 9, 1, 2], shape: [3, 2], dtype: .u4, on: cpu)
        #expect(try packed.cast(to: .f32).floats() == [3, 15, 0, 9, 1, 2])
        #expect(try packed.cast(to: .i32).ints() == [3, 15, 0, 9, 1, 2])
    }

    @Test("fill writes the rounded value into every element of contiguous and strided tensors",
          arguments: [DType.f32, .bf16, .f16, .f8e4m3fn, .f8e5m2, .i32, .u8])
    func fill(dtype: DType) throws {
        let value: Float = 3.3
        let want = try Tensor([value], shape: [1], dtype: dtype, on: cpu).floats()[0]
        let t = try Tensor.full(value, shape: [3, 5], dtype: dtype, on: cpu)
        #expect(try t.floats() == [Float](repeating: want, count: 15))
        let z = try Tensor.zeros([3, 5], dtype: dtype, on: cpu)
        try cpu.fill(try z.slice(axis: 1, 1..<3), value: value)
        #expect(try z.floats() == (0..<15).map { ($0 % 5 == 1 || $0 % 5 == 2) ? want : 0 })
    }
}

/// Casts that must not go through f32, and bool storage (both once recorded as known issues).
@Suite("Exact wide casts and bool storage")
struct WideCastTests {
    let cpu = CPUBackend.shared

    @Test("i64 -> f64 -> i64 is exact above 2^24")
    func f64ThroughF32() throws {
        let big = (1 << 40) + 1
        let ints = try Tensor(ints: [big, 16_777_217], shape: [2], dtype: .i64, on: cpu)
        let asDouble = try ints.cast(to: .f64)
        let stored = try asDouble.hostBuffer()
        let first = stored.base.loadUnaligned(as: Double.self)
        #expect(first == Double(big))
        #expect(try asDouble.cast(to: .i64).ints() == [big, 16_777_217])
    }

    @Test("Tensor(ints:) with dtype bool stores nonzero as 1")
    func boolFromInts() throws {
        let t = try Tensor(ints: [0, 2, -1], shape: [3], dtype: .bool, on: cpu)
        let values = try t.ints()
        #expect(values == [0, 1, 1])
    }
}
