#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread-safe memo of word → token ids, shared by copies of a tokenizer (prompts repeat words, and the
/// BPE merge loop is the costly part of CLIP tokenization). Bounded: when full it is simply emptied,
/// which keeps memory fixed without bookkeeping. Guarded by a pthread mutex (the `Synchronization`
/// module's `Mutex` needs macOS 15, the package supports 14).
final class WordCache: @unchecked Sendable {
    /// Words longer than this (bytes) are not cached: they are rare and would crowd out the common ones.
    static let maxWordBytes = 64
    private let capacity: Int
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private var entries: [[UInt8]: [Int32]] = [:]

    init(capacity: Int = 20_000) {
        self.capacity = capacity
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The ids stored for `word`, or the result of `compute` (stored when the word is short enough).
    func ids(for word: [UInt8], compute: () -> [Int32]) -> [Int32] {
        guard word.count <= Self.maxWordBytes else { return compute() }
        pthread_mutex_lock(lock)
        let hit = entries[word]
        pthread_mutex_unlock(lock)
        if let hit { return hit }
        let value = compute()
        pthread_mutex_lock(lock)
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[word] = value
        pthread_mutex_unlock(lock)
        return value
    }
}
