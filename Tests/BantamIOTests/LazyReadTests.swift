import BantamCore
import BantamCPU
import BantamIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Opening a file reads only its header, and reading one tensor pages in (about) only that tensor's bytes.
@Suite struct LazyReadTests {
    /// Fraction of the pages of `range` (inside the mapping) that are in the page cache.
    static func residentFraction(_ file: SafetensorsFile, _ range: Range<Int>) -> Double {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = range.lowerBound / page, last = (range.upperBound - 1) / page
        var vector = [UInt8](repeating: 0, count: last - first + 1)
        let start = UnsafeMutableRawPointer(mutating: file.fileBytes.baseAddress! + first * page)
        guard mincore(start, (last - first + 1) * page, &vector) == 0 else { return -1 }
        return Double(vector.filter { $0 & 1 != 0 }.count) / Double(vector.count)
    }

    @Test func readingOneTensorTouchesOnlyItsBytes() throws {
        let dir = TempDir("lazy")
        defer { dir.remove() }
        let path = dir.file("lazy.safetensors")
        let mib = 1 << 20
        try SafetensorsWriter.write(to: path, entries: ["a", "b", "c"].map { name in
            SafetensorsEntry(name: name, dtype: .U8, shape: [mib]) { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        })
        let file = try SafetensorsFile(path: path)
        // Turn off the kernel's read-around for this mapping, so that residency shows what the code touches
        // rather than what the kernel reads ahead (8 MiB on some machines), then drop the (synced) file from
        // the page cache; pages mapped while reading the header stay. Where dropping does not work (tmpfs)
        // the residency checks are meaningless and are skipped.
        let base = UnsafeMutableRawPointer(mutating: file.fileBytes.baseAddress!)
        #expect(madvise(base, file.fileSize, MADV_RANDOM) == 0)
        let fd = open(path, O_RDONLY)
        #expect(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
        close(fd)

        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let a = try #require(file["a"]).byteRange, b = try #require(file["b"]).byteRange, c = try #require(file["c"]).byteRange
        let aAwayFromHeader = (a.lowerBound + 16 * page)..<(a.upperBound - page)
        let cAwayFromB = (c.lowerBound + page)..<c.upperBound
        guard Self.residentFraction(file, aAwayFromHeader) == 0, Self.residentFraction(file, cAwayFromB) == 0 else {
            print("LazyReadTests: the file could not be dropped from the page cache here; residency not checked")
            return
        }

        let bytes = try file.bytes(of: "b")
        var sum = Int(bytes[bytes.count - 1])
        for i in stride(from: 0, to: bytes.count, by: page) { sum += Int(bytes[i]) }
        #expect(sum == 1 + (bytes.count + page - 1) / page)
        #expect(Self.residentFraction(file, b) == 1, "the tensor's pages were read")
        #expect(Self.residentFraction(file, aAwayFromHeader) == 0, "its neighbours were not")
        #expect(Self.residentFraction(file, cAwayFromB) == 0, "its neighbours were not")
        _ = try file.tensor("c", on: CPUBackend.shared)
        #expect(Self.residentFraction(file, cAwayFromB) == 0, "making a zero-copy tensor reads nothing")
    }
}
