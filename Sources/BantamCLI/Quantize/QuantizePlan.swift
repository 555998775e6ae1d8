import BantamCore
import BantamCPU
import BantamIO
import BantamQuant

/// What `bantam quantize` writes: for every tensor of the source, the records of the output file (a
/// Linear weight in the format the policy gives its layer, everything else copied or cast), plus the
/// `scaled_fp8` markers the ComfyUI convention needs. Nothing is read here: the records' closures load and
/// quantize one tensor at a time while the writer streams the file.
struct QuantizePlan {
    /// One detected part of the file and the policy component it falls under (nil: copied as is).
    struct Part {
        let prefix: String
        let name: String
        let component: ModelComponent?
    }

    /// What happened to each component's tensors, for the summary.
    struct Tally {
        var formats: [String: Int] = [:]
        var kept: [String] = []
        var copied = 0
    }

    let records: [QuantizedFileRecord]
    let parts: [Part]
    let tallies: [String: Tally]

    /// The file's parts, from detection: a standalone model file is one part with prefix "".
    static func parts(of checkpoint: Checkpoint) -> [Part] {
        let signatures = checkpoint.tensorNames.compactMap { name in
            checkpoint.info(name).map { TensorSignature(name: name, dtype: $0.dtype.rawValue, shape: $0.shape) }
        }
        let kind = ModelDetector.detect(signatures, metadata: checkpoint.metadata)
        return kind.components.map { Part(prefix: $0.prefix, name: $0.summary, component: component(of: $0.family)) }
    }

    static func component(of family: ModelFamily) -> ModelComponent? {
        switch family {
        case .t5xxl, .t5: return .t5
        case .clipL, .clipG, .clip: return .clip
        default:
            switch family.role {
            case .transformer: return .transformer
            case .autoencoder: return .vae
            default: return nil
            }
        }
    }

    /// Builds the records. `observe` receives each quantized layer with its f32 source (for --report).
    init(source: QuantizedTensorSource, parts: [Part], policy: PrecisionPolicy, cpu: CPUBackend,
         observe: ((String, LinearWeight, Tensor) throws -> Void)?) throws {
        self.parts = parts
        var records: [QuantizedFileRecord] = []
        var tallies: [String: Tally] = [:]
        var scaledPrefixes: Set<String> = []
        for key in source.keys {
            guard let shape = source.shape(of: key)?.dims, let dtype = source.dtype(of: key) else { continue }
            let part = parts.filter { key.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }
            let label = part?.component?.rawValue ?? "other"
            let local = String(key.dropFirst(part?.prefix.count ?? 0))
            let layer = local.hasSuffix(".weight") ? String(local.dropLast(".weight".count)) : nil
            if let component = part?.component, let layer, shape.count == 2, dtype.isFloatingPoint || dtype == .u4,
               policy.defaults.isLinear(layer, in: component) {
                let format = policy[component].format(forLayer: layer)
                let layerRecords = try QuantizedFileRecords.linear(
                    key: key, shape: shape, format: format,
                    load: { try source.linearWeight(key, on: cpu) },
                    observe: observe.map { f in { q, reference in try f(key, q, reference) } })
                if QuantizedFileRecords.isScaledFP8(layerRecords) { scaledPrefixes.insert(part!.prefix) }
                records += layerRecords
                if format == .keep { tallies[label, default: Tally()].kept.append(layer) }
                else { tallies[label, default: Tally()].formats[format.description, default: 0] += 1 }
                continue
            }
            // Not a Linear weight: copied, or cast to the component's float format.
            let target = part?.component.flatMap { policy[$0].parameterDType }
            let plain = source.isQuantized(key) && dtype != .u4 && source.storageDescription(of: key) != "fp8 (no scale)"
            let stored = plain || dtype == .u4 ? DType.f32 : dtype
            let castTo = dtype.isFloatingPoint && target != nil && target != stored ? target : nil
            records.append(QuantizedFileRecords.tensor(name: key, dtype: castTo, load: { try source.load(key, on: cpu) },
                                                       shape: shape, storedDType: stored))
            tallies[label, default: Tally()].copied += 1
        }
        for prefix in scaledPrefixes.sorted() {
            records.append(QuantizedFileRecords.scaledFP8Marker(prefix: prefix))
        }
        self.records = records
        self.tallies = tallies
    }

    /// The records as safetensors entries.
    var entries: [SafetensorsEntry] {
        get throws {
            try records.map { r in
                guard let dtype = SafetensorsDType(runtime: r.dtype) else {
                    throw CLIError("cannot write \(r.name): dtype \(r.dtype) has no safetensors equivalent")
                }
                return SafetensorsEntry(name: r.name, dtype: dtype, shape: r.shape, write: r.fill)
            }
        }
    }
}
