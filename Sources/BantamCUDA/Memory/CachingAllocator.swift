import BantamCore

/// One block handed out by the `CachingAllocator`.
public struct DeviceAllocation: Sendable, Hashable {
    /// Device address of the first byte.
    public let address: UInt64
    /// Bytes reserved for it: the request rounded up to its size class (what the budget counts).
    public let size: Int
    /// Bytes that were asked for.
    public let requested: Int
    /// The slab it was carved from (small blocks), or nil for a block of its own.
    let slab: UInt64?
}

/// Counters of a `CachingAllocator`. "Reserved" is everything held from the driver: blocks in use, cached
/// blocks and free slots of slabs; the budget applies to it.
public struct AllocatorStatistics: Sendable, Equatable {
    /// The hard limit on `reservedBytes`.
    public var budget: Int
    /// Bytes in live allocations (rounded sizes).
    public var allocatedBytes = 0
    /// Bytes asked for by live allocations (before rounding).
    public var requestedBytes = 0
    /// Bytes held from the driver.
    public var reservedBytes = 0
    public var peakAllocatedBytes = 0
    public var peakReservedBytes = 0
    /// Live allocations.
    public var liveAllocations = 0
    /// Successful raw (driver) allocations and frees since the start.
    public var driverAllocations = 0
    public var driverFrees = 0
    /// Requests served from the cache or a slab without asking the driver.
    public var reuses = 0
    /// Requests refused with `outOfMemory`.
    public var failures = 0

    /// Reserved bytes not in live allocations (cached blocks, free slab slots).
    public var cachedBytes: Int { reservedBytes - allocatedBytes }
}

/// A caching allocator for device memory with a hard budget.
///
/// - Small requests (up to 1 MiB) are rounded up to a power of two (at least 512 bytes) and carved from
///   2 MiB slabs that hold blocks of one size; a slab whose blocks are all free is cached as a whole.
/// - Larger requests are rounded up to a multiple of 2 MiB (the driver's own granularity) and get a block
///   of their own; a freed block is cached and reused for a later request of the same size, or up to 1/8
///   larger.
/// - The budget counts every byte held from the driver, cached blocks included, and is never exceeded:
///   when a request would pass it, cached blocks are released (oldest first) until it fits; when it still
///   does not fit, the request fails with `TensorError.outOfMemory` naming the request, the budget and
///   the use. When the driver itself is out of memory, all cached blocks are released and the driver is
///   asked once more.
///
/// Freed memory goes back to the cache at once. That is safe because all kernels run on one compute
/// stream, in order (stream-ordered reuse), and work on other streams is joined into it by events.
/// Thread-safe.
public final class CachingAllocator: @unchecked Sendable {
    /// Requests up to this size come from slabs.
    public static let smallLimit = 1 << 20
    /// Size of a slab, and the rounding granularity of large blocks.
    public static let slabSize = 2 << 20
    /// Smallest small block.
    public static let minimumBlock = 512
    /// A cached large block may serve a request up to 1/8 smaller than itself.
    static let reuseSlackDivisor = 8

    public let raw: any RawDeviceMemory
    /// "cuda:0", for messages.
    public let label: String
    private let lock = Lock()
    private var stats: AllocatorStatistics
    /// Clock for "released oldest first".
    private var tick: UInt64 = 0

    /// Cached large blocks, sorted by size (then address).
    private var cachedBlocks: [CachedBlock] = []
    /// Every slab by base address.
    private var slabs: [UInt64: Slab] = [:]
    /// Slabs with at least one free slot, per block size.
    private var openSlabs: [Int: [UInt64]] = [:]

    struct CachedBlock {
        var size: Int
        var address: UInt64
        var freedAt: UInt64
    }

    struct Slab {
        let base: UInt64
        let blockSize: Int
        var freeSlots: [Int]
        var used: Int
        var emptiedAt: UInt64
        var capacity: Int { CachingAllocator.slabSize / blockSize }
    }

    public init(raw: any RawDeviceMemory, budget: Int, label: String = "cuda") {
        self.raw = raw
        self.label = label
        self.stats = AllocatorStatistics(budget: max(0, budget))
    }

    public var statistics: AllocatorStatistics { lock.withLock { stats } }
    public var budget: Int { lock.withLock { stats.budget } }

    /// The size a request is rounded to: a power of two >= 512 up to 1 MiB, else a multiple of 2 MiB.
    public static func roundedSize(_ bytes: Int) -> Int {
        let n = max(bytes, 1)
        if n <= smallLimit {
            var size = minimumBlock
            while size < n { size <<= 1 }
            return size
        }
        return (n + slabSize - 1) / slabSize * slabSize
    }

    // MARK: allocate and free

    /// A block of at least `bytes` bytes; throws `outOfMemory` when it does not fit in the budget even
    /// after releasing cached blocks, or when the driver has no room.
    public func allocate(bytes: Int) throws -> DeviceAllocation {
        guard bytes >= 0 else { throw TensorError.invalidArgument("\(label): negative allocation size \(bytes)") }
        return try lock.withLock {
            let size = Self.roundedSize(bytes)
            let allocation = size <= Self.smallLimit ? try allocateSmall(size, requested: bytes)
                                                     : try allocateLarge(size, requested: bytes)
            stats.allocatedBytes += allocation.size
            stats.requestedBytes += bytes
            stats.liveAllocations += 1
            stats.peakAllocatedBytes = max(stats.peakAllocatedBytes, stats.allocatedBytes)
            return allocation
        }
    }

    /// Returns a block to the cache (never to the driver: that happens under budget pressure or `releaseCache`).
    public func free(_ allocation: DeviceAllocation) {
        lock.withLock {
            tick += 1
            stats.allocatedBytes -= allocation.size
            stats.requestedBytes -= allocation.requested
            stats.liveAllocations -= 1
            if let base = allocation.slab, var slab = slabs[base] {
                let slot = Int(allocation.address - base) / slab.blockSize
                if slab.freeSlots.isEmpty { openSlabs[slab.blockSize, default: []].append(base) }
                slab.freeSlots.append(slot)
                slab.used -= 1
                if slab.used == 0 { slab.emptiedAt = tick }
                slabs[base] = slab
            } else {
                insertCached(CachedBlock(size: allocation.size, address: allocation.address, freedAt: tick))
            }
        }
    }

    private func allocateSmall(_ blockSize: Int, requested: Int) throws -> DeviceAllocation {
        // Prefer a partly used slab, so that empty ones stay whole and can be released.
        if let bases = openSlabs[blockSize], !bases.isEmpty {
            let index = bases.firstIndex { slabs[$0]!.used > 0 } ?? 0
            let base = bases[index]
            var slab = slabs[base]!
            let slot = slab.freeSlots.removeLast()
            slab.used += 1
            slabs[base] = slab
            if slab.freeSlots.isEmpty { openSlabs[blockSize]!.remove(at: index) }
            stats.reuses += 1
            return DeviceAllocation(address: base + UInt64(slot * blockSize), size: blockSize,
                                    requested: requested, slab: base)
        }
        let base = try reserve(Self.slabSize, requested: requested)
        let capacity = Self.slabSize / blockSize
        // Slot 0 is handed out now; the others are free, taken from the end (lowest addresses first).
        var slab = Slab(base: base, blockSize: blockSize, freeSlots: Array((1..<capacity).reversed()), used: 1, emptiedAt: 0)
        if capacity == 1 { slab.freeSlots = [] }
        slabs[base] = slab
        if !slab.freeSlots.isEmpty { openSlabs[blockSize, default: []].append(base) }
        return DeviceAllocation(address: base, size: blockSize, requested: requested, slab: base)
    }

    private func allocateLarge(_ size: Int, requested: Int) throws -> DeviceAllocation {
        // Smallest cached block that fits without wasting more than 1/8.
        let first = lowerBound(size)
        if first < cachedBlocks.count, cachedBlocks[first].size <= size + size / Self.reuseSlackDivisor {
            let block = cachedBlocks.remove(at: first)
            stats.reuses += 1
            return DeviceAllocation(address: block.address, size: block.size, requested: requested, slab: nil)
        }
        let address = try reserve(size, requested: requested)
        return DeviceAllocation(address: address, size: size, requested: requested, slab: nil)
    }

    /// Gets `size` new bytes from the driver within the budget (releasing cached blocks as needed).
    private func reserve(_ size: Int, requested: Int) throws -> UInt64 {
        // Release cached blocks only when that makes the request fit.
        if stats.reservedBytes + size > stats.budget && stats.reservedBytes - releasableBytes + size <= stats.budget {
            releaseCached(untilReservedAtMost: stats.budget - size)
        }
        guard stats.reservedBytes + size <= stats.budget else {
            stats.failures += 1
            throw TensorError.outOfMemory(
                "\(label) cannot allocate \(ByteFormat.bytes(size)) (a request of \(requested) bytes): the budget is "
                + "\(ByteFormat.bytes(stats.budget)) and \(ByteFormat.bytes(stats.allocatedBytes)) is in use by live tensors "
                + "(\(ByteFormat.bytes(stats.reservedBytes)) reserved in all); free tensors you no longer need, lower the "
                + "resolution or batch size, or raise the budget with --vram")
        }
        var address = try raw.allocate(bytes: size)
        if address == nil {
            releaseCached(untilReservedAtMost: 0)
            address = try raw.allocate(bytes: size)
        }
        guard let address else {
            stats.failures += 1
            throw TensorError.outOfMemory(
                "\(label) cannot allocate \(ByteFormat.bytes(size)) (a request of \(requested) bytes): the GPU has no room "
                + "although Bantam holds only \(ByteFormat.bytes(stats.reservedBytes)) of its \(ByteFormat.bytes(stats.budget)) "
                + "budget; other processes are using the GPU: close them or lower --vram")
        }
        stats.driverAllocations += 1
        stats.reservedBytes += size
        stats.peakReservedBytes = max(stats.peakReservedBytes, stats.reservedBytes)
        return address
    }

    // MARK: budget and cache

    /// Sets the hard budget. Cached blocks are released until the reserved bytes fit; memory in live
    /// allocations stays, and new requests fail until enough of it is freed.
    public func setBudget(_ bytes: Int) {
        lock.withLock {
            stats.budget = max(0, bytes)
            if stats.reservedBytes > stats.budget { releaseCached(untilReservedAtMost: stats.budget) }
        }
    }

    /// Returns every cached block and empty slab to the driver.
    public func releaseCache() {
        lock.withLock { releaseCached(untilReservedAtMost: 0) }
    }

    /// Forgets the peaks (they restart from the current figures).
    public func resetPeaks() {
        lock.withLock {
            stats.peakAllocatedBytes = stats.allocatedBytes
            stats.peakReservedBytes = stats.reservedBytes
        }
    }

    /// Releases cached large blocks and empty slabs, the longest unused first, until reserved <= `limit`
    /// or nothing cached is left.
    private func releaseCached(untilReservedAtMost limit: Int) {
        struct Candidate { var freedAt: UInt64; var address: UInt64; var size: Int; var isSlab: Bool }
        var candidates = cachedBlocks.map { Candidate(freedAt: $0.freedAt, address: $0.address, size: $0.size, isSlab: false) }
        for slab in slabs.values where slab.used == 0 {
            candidates.append(Candidate(freedAt: slab.emptiedAt, address: slab.base, size: Self.slabSize, isSlab: true))
        }
        candidates.sort { ($0.freedAt, $0.address) < ($1.freedAt, $1.address) }
        var released = Set<UInt64>()
        for candidate in candidates {
            if stats.reservedBytes <= limit { break }
            raw.free(address: candidate.address, bytes: candidate.size)
            stats.reservedBytes -= candidate.size
            stats.driverFrees += 1
            if candidate.isSlab {
                let blockSize = slabs[candidate.address]!.blockSize
                slabs[candidate.address] = nil
                openSlabs[blockSize]?.removeAll { $0 == candidate.address }
            } else {
                released.insert(candidate.address)
            }
        }
        if !released.isEmpty { cachedBlocks.removeAll { released.contains($0.address) } }
    }

    /// Bytes that `releaseCached` could give back: cached blocks and empty slabs.
    private var releasableBytes: Int {
        cachedBlocks.reduce(0) { $0 + $1.size } + slabs.values.reduce(0) { $0 + ($1.used == 0 ? Self.slabSize : 0) }
    }

    private func insertCached(_ block: CachedBlock) {
        var index = lowerBound(block.size)
        while index < cachedBlocks.count && cachedBlocks[index].size == block.size
                && cachedBlocks[index].address < block.address { index += 1 }
        cachedBlocks.insert(block, at: index)
    }

    /// First index of `cachedBlocks` whose size is >= `size`.
    private func lowerBound(_ size: Int) -> Int {
        var lo = 0, hi = cachedBlocks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if cachedBlocks[mid].size < size { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
