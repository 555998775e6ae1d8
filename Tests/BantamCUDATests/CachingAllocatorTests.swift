import BantamCore
import BantamCUDA
import BantamTestSupport
import Dispatch
import Testing

/// Raw device memory simulated in host bookkeeping: unique, never reused addresses; an optional capacity
/// plays the device running out of memory; every free must match a live allocation.
final class FakeDeviceMemory: RawDeviceMemory, @unchecked Sendable {
    private let lock = DispatchQueue(label: "fake-device-memory")
    private(set) var live: [UInt64: Int] = [:]
    private(set) var liveBytes = 0
    private(set) var peakBytes = 0
    private(set) var badFrees = 0
    private var next: UInt64 = 0x7f00_0000_0000
    var capacity: Int

    init(capacity: Int = .max) { self.capacity = capacity }

    func allocate(bytes: Int) throws -> UInt64? {
        lock.sync {
            guard liveBytes + bytes <= capacity else { return nil }
            let address = next
            next += UInt64(bytes) + 4096          // a gap, so that overlaps cannot hide
            live[address] = bytes
            liveBytes += bytes
            peakBytes = max(peakBytes, liveBytes)
            return address
        }
    }

    func free(address: UInt64, bytes: Int) {
        lock.sync {
            if live[address] != bytes { badFrees += 1; return }
            live[address] = nil
            liveBytes -= bytes
        }
    }

    /// The driver block that contains [address, address + size), if any.
    func contains(_ address: UInt64, size: Int) -> Bool {
        lock.sync {
            live.contains { base, length in address >= base && address + UInt64(size) <= base + UInt64(length) }
        }
    }
}

@Suite struct CachingAllocatorTests {
    static let MiB = 1 << 20

    @Test func sizeClasses() {
        var rng = TestRNG()
        let requests = Array(0...4100) + (0..<2000).map { _ in Int(rng.next() % UInt64(64 * Self.MiB)) + 1 }
        for bytes in requests {
            let size = CachingAllocator.roundedSize(bytes)
            #expect(size >= max(bytes, 1), "seed \(rng.seed): \(bytes) -> \(size)")
            if size <= CachingAllocator.smallLimit {
                #expect(size >= 512 && size & (size - 1) == 0, "\(bytes) -> \(size)")
                #expect(size == 512 || size / 2 < bytes, "\(bytes) -> \(size) is not the smallest class")
            } else {
                #expect(size % (2 * Self.MiB) == 0 && size - bytes < 2 * Self.MiB, "\(bytes) -> \(size)")
            }
        }
    }

    @Test func freedBlocksAreReused() throws {
        let raw = FakeDeviceMemory()
        let allocator = CachingAllocator(raw: raw, budget: 64 * Self.MiB)
        let a = try allocator.allocate(bytes: 3 * Self.MiB + 5)
        #expect(a.size == 4 * Self.MiB)
        allocator.free(a)
        let b = try allocator.allocate(bytes: 4 * Self.MiB)
        #expect(b.address == a.address)
        // A cached 8 MiB block is not wasted on a 2 MiB request (more than 1/8 slack).
        let big = try allocator.allocate(bytes: 8 * Self.MiB)
        allocator.free(big)
        let small = try allocator.allocate(bytes: 2 * Self.MiB)
        #expect(small.address != big.address)
        let stats = allocator.statistics
        #expect(stats.driverAllocations == 3)
        #expect(stats.reuses == 1)
        #expect(stats.allocatedBytes == 6 * Self.MiB)
        #expect(stats.reservedBytes == 14 * Self.MiB)
        #expect(stats.reservedBytes == raw.liveBytes)
    }

    @Test func smallBlocksShareSlabs() throws {
        let raw = FakeDeviceMemory()
        let allocator = CachingAllocator(raw: raw, budget: 64 * Self.MiB)
        var blocks: [DeviceAllocation] = []
        for i in 0..<4096 { blocks.append(try allocator.allocate(bytes: 1 + i % 512)) }
        #expect(Set(blocks.map(\.address)).count == 4096)
        #expect(allocator.statistics.driverAllocations == 1)       // 4096 x 512 B = one 2 MiB slab
        blocks.append(try allocator.allocate(bytes: 100))
        #expect(allocator.statistics.driverAllocations == 2)
        for b in blocks { allocator.free(b) }
        #expect(allocator.statistics.allocatedBytes == 0)
        allocator.releaseCache()
        #expect(raw.liveBytes == 0 && raw.badFrees == 0)
        #expect(allocator.statistics.reservedBytes == 0)
    }

    @Test func cachedBlocksAreReleasedBeforeFailing() throws {
        let raw = FakeDeviceMemory()
        let allocator = CachingAllocator(raw: raw, budget: 10 * Self.MiB, label: "cuda:0")
        let a = try allocator.allocate(bytes: 8 * Self.MiB)
        allocator.free(a)
        let b = try allocator.allocate(bytes: 6 * Self.MiB)     // releases the cached 8 MiB block
        #expect(raw.liveBytes == 6 * Self.MiB)
        #expect(allocator.statistics.driverFrees == 1)
        do {
            _ = try allocator.allocate(bytes: 5 * Self.MiB)
            Issue.record("6 + 6 MiB fit in a 10 MiB budget")
        } catch let error as TensorError {
            let text = error.description
            #expect(text.hasPrefix("out of memory: cuda:0 cannot allocate 6.00 MiB (a request of 5242880 bytes)"))
            #expect(text.contains("budget is 10.00 MiB") && text.contains("6.00 MiB is in use") && text.contains("--vram"))
            #expect(!text.contains("\n"))
        }
        #expect(raw.liveBytes <= 10 * Self.MiB)
        allocator.free(b)
        #expect(allocator.statistics.failures == 1)
    }

    @Test func loweringTheBudgetReleasesCache() throws {
        let raw = FakeDeviceMemory()
        let allocator = CachingAllocator(raw: raw, budget: 32 * Self.MiB)
        let blocks = try (0..<4).map { _ in try allocator.allocate(bytes: 4 * Self.MiB) }
        blocks[0..<3].forEach(allocator.free)
        allocator.setBudget(8 * Self.MiB)
        #expect(raw.liveBytes == 8 * Self.MiB)       // one live, one cached block left
        allocator.setBudget(2 * Self.MiB)
        #expect(raw.liveBytes == 4 * Self.MiB)       // the live block stays above the budget...
        #expect(throws: TensorError.self) { try allocator.allocate(bytes: 1) }   // ...and nothing new fits
        allocator.free(blocks[3])
        _ = try allocator.allocate(bytes: 1)          // after freeing: the cached block goes, a slab fits
        #expect(raw.liveBytes == 2 * Self.MiB)
    }

    @Test func driverOutOfMemoryRetriesAfterReleasingCache() throws {
        let raw = FakeDeviceMemory(capacity: 12 * Self.MiB)       // another process holds the rest
        let allocator = CachingAllocator(raw: raw, budget: 64 * Self.MiB, label: "cuda:0")
        let a = try allocator.allocate(bytes: 8 * Self.MiB)
        allocator.free(a)
        _ = try allocator.allocate(bytes: 10 * Self.MiB)          // the driver refuses, cache released, retried
        #expect(allocator.statistics.driverFrees == 1)
        do {
            _ = try allocator.allocate(bytes: 4 * Self.MiB)
            Issue.record("the fake device is full")
        } catch let error as TensorError {
            #expect(error.description.contains("other processes are using the GPU"))
        }
    }

    /// Random allocate/free sequences against random budgets: the budget is never exceeded, statistics and
    /// peaks are exact, live blocks never overlap, and an allocation only fails when it cannot fit.
    @Test func randomSequencesKeepTheBudget() throws {
        var rng = TestRNG()
        for round in 0..<20 {
            let raw = FakeDeviceMemory()
            let budget = (4 + Int(rng.next() % 60)) * Self.MiB + Int(rng.next() % UInt64(Self.MiB))
            let allocator = CachingAllocator(raw: raw, budget: budget)
            var live: [DeviceAllocation] = []
            var peakAllocated = 0, peakReserved = 0, failures = 0
            for step in 0..<600 {
                let context = "seed \(rng.seed) round \(round) step \(step)"
                if !live.isEmpty && rng.next() % 5 < 2 {
                    let index = Int(rng.next() % UInt64(live.count))
                    allocator.free(live.remove(at: index))
                } else {
                    let bytes: Int
                    switch rng.next() % 4 {
                    case 0: bytes = Int(rng.next() % 2048)
                    case 1: bytes = Int(rng.next() % UInt64(Self.MiB)) + 1
                    default: bytes = Int(rng.next() % UInt64(12 * Self.MiB)) + 1
                    }
                    do {
                        let a = try allocator.allocate(bytes: bytes)
                        #expect(a.size >= bytes && a.requested == bytes, "\(context)")
                        #expect(raw.contains(a.address, size: a.size), "\(context): block outside driver memory")
                        live.append(a)
                    } catch {
                        failures += 1
                        // A fair refusal: even with every cached block released, it still does not fit.
                        allocator.releaseCache()
                        if let retried = try? allocator.allocate(bytes: bytes) {
                            Issue.record("\(context): \(bytes) bytes fit after releasing the cache")
                            live.append(retried)
                        } else {
                            failures += 1
                        }
                    }
                }
                let stats = allocator.statistics
                #expect(raw.liveBytes <= budget, "\(context): \(raw.liveBytes) held over a budget of \(budget)")
                #expect(stats.reservedBytes == raw.liveBytes, "\(context)")
                #expect(stats.allocatedBytes == live.reduce(0) { $0 + $1.size }, "\(context)")
                #expect(stats.requestedBytes == live.reduce(0) { $0 + $1.requested }, "\(context)")
                #expect(stats.liveAllocations == live.count, "\(context)")
                peakAllocated = max(peakAllocated, stats.allocatedBytes)
                peakReserved = max(peakReserved, raw.liveBytes)
                #expect(stats.peakAllocatedBytes == peakAllocated, "\(context)")
                #expect(stats.peakReservedBytes == raw.peakBytes && raw.peakBytes == peakReserved, "\(context)")
            }
            // No two live blocks overlap.
            let sorted = live.sorted { $0.address < $1.address }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                #expect(a.address + UInt64(a.size) <= b.address, "seed \(rng.seed): overlapping blocks")
            }
            #expect(allocator.statistics.failures == failures)
            for a in live { allocator.free(a) }
            allocator.releaseCache()
            #expect(raw.liveBytes == 0 && raw.badFrees == 0, "seed \(rng.seed)")
        }
    }

    @Test func concurrentUseStaysConsistent() throws {
        let raw = FakeDeviceMemory()
        let allocator = CachingAllocator(raw: raw, budget: 1 << 30)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            var rng = TestRNG(seed: UInt64(thread) &* 0x9E37_79B9)
            var mine: [DeviceAllocation] = []
            for _ in 0..<500 {
                if !mine.isEmpty && rng.next() % 2 == 0 {
                    allocator.free(mine.removeLast())
                } else if let a = try? allocator.allocate(bytes: Int(rng.next() % UInt64(3 * Self.MiB)) + 1) {
                    mine.append(a)
                }
            }
            mine.forEach(allocator.free)
        }
        let stats = allocator.statistics
        #expect(stats.allocatedBytes == 0 && stats.liveAllocations == 0 && stats.requestedBytes == 0)
        #expect(stats.reservedBytes == raw.liveBytes)
        allocator.releaseCache()
        #expect(raw.liveBytes == 0 && raw.badFrees == 0)
    }
}
