/// A C struct passed by value to a kernel, laid out with C's rules (each field at a multiple of its
/// alignment, the size padded to the largest alignment), so the bytes match the struct the kernel declares.
///
///     var desc = KernelStruct()
///     desc.append(int64s: sizes, count: 6)     // i64 sizes[6]
///     desc.append(Int32(rank))                  // i32 rank
///     args.append(desc)                         // kernel parameter `BtCopyDesc d`
public struct KernelStruct: Sendable, Equatable {
    public private(set) var bytes: [UInt8] = []
    public private(set) var alignment = 1

    public init() {}

    /// Byte offset at which the next field of `alignment` would go.
    public func nextOffset(alignment: Int) -> Int { (bytes.count + alignment - 1) / alignment * alignment }

    private mutating func appendRaw<T: BitwiseCopyable>(_ value: T) {
        let align = MemoryLayout<T>.alignment
        bytes.append(contentsOf: [UInt8](repeating: 0, count: nextOffset(alignment: align) - bytes.count))
        withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
        alignment = max(alignment, align)
    }

    public mutating func append(_ value: Int32) { appendRaw(value) }
    public mutating func append(_ value: UInt32) { appendRaw(value) }
    public mutating func append(_ value: Int64) { appendRaw(value) }
    public mutating func append(_ value: UInt64) { appendRaw(value) }
    public mutating func append(_ value: Float) { appendRaw(value) }
    public mutating func append(_ value: Double) { appendRaw(value) }
    /// A device pointer field (`T*` in the kernel).
    public mutating func append(pointer: CUdeviceptr) { appendRaw(pointer) }

    /// An `i64 name[count]` field: `values` padded with zeros to `count` entries.
    public mutating func append(int64s values: [Int64], count: Int) {
        precondition(values.count <= count, "KernelStruct: \(values.count) values for an array of \(count)")
        for i in 0..<count { appendRaw(i < values.count ? values[i] : 0) }
    }

    /// The struct's bytes including the padding at the end (sizeof in C).
    public var paddedBytes: [UInt8] {
        bytes + [UInt8](repeating: 0, count: nextOffset(alignment: alignment) - bytes.count)
    }
}

/// The parameters of one kernel launch, in the order the kernel declares them.
///
/// cuLaunchKernel takes an array of pointers, one per parameter, each pointing at the parameter's value;
/// the driver copies the values at launch. `KernelArguments` keeps every value in one buffer at its natural
/// alignment and builds that pointer array for the duration of the launch call only, so nothing dangles.
///
///     var args = KernelArguments()
///     args.append(pointer: src)          // const float* src
///     args.append(pointer: dst)          // float* dst
///     args.append(UInt64(count))         // u64 count
///     args.append(Float(scale))          // float scale
///     try function.launch(.linear(items: count, ...), args, on: stream)
public struct KernelArguments: Sendable, Equatable {
    public private(set) var bytes: [UInt8] = []
    /// Byte offset of each parameter in `bytes`.
    public private(set) var offsets: [Int] = []
    public private(set) var sizes: [Int] = []

    public init() {}

    public var count: Int { offsets.count }

    private mutating func appendBytes(_ value: [UInt8], alignment: Int) {
        let offset = (bytes.count + alignment - 1) / alignment * alignment
        bytes.append(contentsOf: [UInt8](repeating: 0, count: offset - bytes.count))
        offsets.append(offset)
        sizes.append(value.count)
        bytes.append(contentsOf: value)
    }

    private mutating func appendRaw<T: BitwiseCopyable>(_ value: T) {
        appendBytes(withUnsafeBytes(of: value) { Array($0) }, alignment: MemoryLayout<T>.alignment)
    }

    /// A device pointer parameter (`T*`).
    public mutating func append(pointer: CUdeviceptr) { appendRaw(pointer) }
    public mutating func append(_ value: Int32) { appendRaw(value) }
    public mutating func append(_ value: UInt32) { appendRaw(value) }
    public mutating func append(_ value: Int64) { appendRaw(value) }
    public mutating func append(_ value: UInt64) { appendRaw(value) }
    public mutating func append(_ value: Float) { appendRaw(value) }
    public mutating func append(_ value: Double) { appendRaw(value) }
    /// A struct parameter passed by value.
    public mutating func append(_ value: KernelStruct) { appendBytes(value.paddedBytes, alignment: max(value.alignment, 1)) }

    /// Calls `body` with the `void**` array cuLaunchKernel wants (valid only inside `body`). The values sit
    /// in a 16-byte aligned copy of `bytes`.
    public func withParameterPointers<R>(_ body: (UnsafeMutablePointer<UnsafeMutableRawPointer?>) throws -> R) rethrows -> R {
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        defer { storage.deallocate() }
        bytes.withUnsafeBytes { if $0.count > 0 { storage.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
        let pointers = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: max(offsets.count, 1))
        defer { pointers.deallocate() }
        for (i, offset) in offsets.enumerated() { pointers[i] = storage + offset }
        return try body(pointers)
    }
}

/// Grid and block of a launch, and the dynamic shared memory per block.
public struct LaunchShape: Sendable, Equatable {
    public var grid: (x: UInt32, y: UInt32, z: UInt32)
    public var block: (x: UInt32, y: UInt32, z: UInt32)
    public var sharedMemoryBytes: UInt32

    public init(grid: (UInt32, UInt32, UInt32), block: (UInt32, UInt32, UInt32), sharedMemoryBytes: UInt32 = 0) {
        self.grid = (grid.0, grid.1, grid.2)
        self.block = (block.0, block.1, block.2)
        self.sharedMemoryBytes = sharedMemoryBytes
    }

    /// A 1-D launch for a grid-stride loop over `items` work items: `threads` per block, enough blocks to
    /// cover the items but at most `maxBlocks` (a few waves of the GPU; the loop covers the rest).
    public static func linear(items: Int, threads: Int = 256, maxBlocks: Int) -> LaunchShape {
        let blocks = max(1, min((items + threads - 1) / threads, maxBlocks))
        return LaunchShape(grid: (UInt32(blocks), 1, 1), block: (UInt32(threads), 1, 1))
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.grid == b.grid && a.block == b.block && a.sharedMemoryBytes == b.sharedMemoryBytes
    }
}
