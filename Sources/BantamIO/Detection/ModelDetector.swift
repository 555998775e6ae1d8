/// Tells a checkpoint's model family, naming layout and quantization from its tensor list alone.
///
/// A pure function of (name, dtype, shape) triples and the file metadata: no weight is read, so it runs on
/// a header, and tests can feed it synthetic key sets. Steps:
/// 1. split the names into components by the single-file prefixes (`model.diffusion_model.`,
///    `text_encoders.<name>.[transformer.]`, `vae.`, `first_stage_model.`, ...); the rest is one component;
/// 2. per component, the first family rule whose name patterns match classifies it and reads its sizes
///    (DetectionRules.swift, FamilyClassifiers.swift);
/// 3. per component, the quantization markers (QuantizationScheme.swift).
public enum ModelDetector {
    /// Detects the components of one checkpoint. `metadata` is the safetensors `__metadata__` (ComfyUI may
    /// keep its quantization configs there).
    public static func detect(_ tensors: [TensorSignature], metadata: [String: String] = [:]) -> CheckpointKind {
        let groups = split(tensors)
        // File-level quantization metadata belongs to the diffusion model if there is one.
        let metadataOwner = groups.first { $0.key == "model.diffusion_model." }?.key ?? groups.first?.key

        var components: [DetectedComponent] = []
        for group in groups {
            let index = TensorIndex(group.tensors)
            let quantization = QuantizationDetector.schemes(in: group.tensors,
                                                            metadata: group.key == metadataOwner ? metadata : [:])
            guard let rule = DetectionRules.families.first(where: { rule in rule.anyOf.contains { index.any($0) } }) else {
                components.append(DetectedComponent(prefix: group.prefix, family: .unknown, layout: .unknown,
                                                    quantization: quantization, tensorCount: group.tensors.count))
                continue
            }
            let c = rule.classify(index)
            components.append(DetectedComponent(prefix: group.prefix, family: c.family, variant: c.variant,
                                                layout: c.layout, dimensions: c.dimensions, quantization: quantization,
                                                tensorCount: group.tensors.count, notes: c.notes))
        }
        return CheckpointKind(tensorCount: tensors.count, components: order(relabel(components)))
    }

    // MARK: Splitting by prefix

    /// Tensors of one component, names stripped of the prefix.
    struct Group {
        /// Grouping key: the prefix without an optional `transformer.` wrapper.
        let key: String
        /// The prefix as most names spell it (with the wrapper when they have it).
        var prefix: String
        var tensors: [TensorSignature]
    }

    /// Splits tensors by component prefix, keeping the file order inside each group and the groups in
    /// order of first appearance.
    static func split(_ tensors: [TensorSignature]) -> [Group] {
        var groups: [Group] = []
        var position: [String: Int] = [:]
        for t in tensors {
            let (key, prefix) = componentPrefix(of: t.name)
            let stripped = TensorSignature(name: String(t.name.dropFirst(prefix.count)), dtype: t.dtype, shape: t.shape)
            if let i = position[key] {
                groups[i].tensors.append(stripped)
                if prefix.count > groups[i].prefix.count { groups[i].prefix = prefix }
            } else {
                position[key] = groups.count
                groups.append(Group(key: key, prefix: prefix, tensors: [stripped]))
            }
        }
        return groups
    }

    /// (grouping key, prefix to strip) of one tensor name; ("", "") for names outside any known prefix.
    static func componentPrefix(of name: String) -> (key: String, prefix: String) {
        for p in DetectionRules.componentPrefixes where name.hasPrefix(p) {
            return (p, wrapped(name, p))
        }
        for p in DetectionRules.namedComponentPrefixes where name.hasPrefix(p) {
            // text_encoders.<name>.  — the next segment names the encoder.
            let rest = name.dropFirst(p.count)
            guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex else { continue }
            let key = p + rest[..<dot] + "."
            return (key, wrapped(name, key))
        }
        return ("", "")
    }

    /// The prefix plus the optional `transformer.` wrapper when the name has it (and more after it).
    private static func wrapped(_ name: String, _ prefix: String) -> String {
        let withWrapper = prefix + DetectionRules.encoderWrapper
        return name.hasPrefix(withWrapper) && name.count > withWrapper.count ? withWrapper : prefix
    }

    // MARK: Assembling

    /// In an SD3 checkpoint the 16-channel autoencoder is SD3's.
    static func relabel(_ components: [DetectedComponent]) -> [DetectedComponent] {
        let sd3: Set<ModelFamily> = [.sd3Medium, .sd35Medium, .sd35Large, .sd3Other]
        guard components.contains(where: { sd3.contains($0.family) }) else { return components }
        return components.map { c in
            guard c.family == .flux1Autoencoder else { return c }
            return DetectedComponent(prefix: c.prefix, family: .sd3Autoencoder, variant: c.variant, layout: c.layout,
                                     dimensions: c.dimensions, quantization: c.quantization,
                                     tensorCount: c.tensorCount, notes: [])
        }
    }

    /// Transformer, CLIP-L, CLIP-G, T5, other text encoders, VAE, adapters, unknown; stable otherwise.
    static func order(_ components: [DetectedComponent]) -> [DetectedComponent] {
        func rank(_ c: DetectedComponent) -> Int {
            switch c.family {
            case .clipL: return 10
            case .clipG: return 11
            case .clip: return 12
            case .t5xxl, .t5: return 13
            default: break
            }
            switch c.role {
            case .transformer: return 0
            case .textEncoder: return 14
            case .autoencoder: return 20
            case .adapter: return 30
            case .unknown: return 40
            }
        }
        return components.enumerated()
            .sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
            .map(\.element)
    }
}
