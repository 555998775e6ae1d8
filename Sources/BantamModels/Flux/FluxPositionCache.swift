import BantamCore
import Synchronization

extension FluxTransformer {
    /// The RoPE tables of the last positions seen, per backend: a sampler calls the transformer with the
    /// same positions every step, and the tables (L × D/2 sines and cosines in f64, then an upload) cost
    /// milliseconds of host time per step at 1024×1024. The tables are read-only once made.
    final class PositionCache: Sendable {
        private struct Entry {
            let ids: [Float]
            let backend: String
            let pe: PositionEmbedding
        }
        private let entry = Mutex<Entry?>(nil)

        func tables(ids: [Float], length: Int, embedder: EmbedND, on backend: any Backend) throws -> PositionEmbedding {
            if let hit = entry.withLock({ e in e.flatMap { $0.ids == ids && $0.backend == backend.name ? $0.pe : nil } }) {
                return hit
            }
            let pe = try embedder.embed(ids: ids, length: length, on: backend)
            entry.withLock { $0 = Entry(ids: ids, backend: backend.name, pe: pe) }
            return pe
        }
    }
}
