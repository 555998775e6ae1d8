import BantamIO

/// The machine-readable form of an `InspectReport`: one JSON document (format in README.md).
enum InspectJSONRenderer {
    static func document(_ report: InspectReport, tensorList: Bool) -> JSON {
        .object([
            ("bantam", .string(BantamVersion.current)),
            ("path", .string(report.path)),
            ("components", .array(report.components.map { component($0, tensorList: tensorList) })),
            ("tensorCount", .int(report.tensorCount)),
            ("bytes", .int(report.bytes)),
        ])
    }

    static func component(_ c: InspectReport.Component, tensorList: Bool) -> JSON {
        var entries: [(String, JSON)] = [
            ("name", .string(c.name)),
            ("path", .string(c.path)),
            ("files", .array(c.files.map { .object([("path", .string($0.path)), ("bytes", .int($0.bytes))]) })),
            ("kind", kind(c.kind)),
        ]
        if tensorList {
            entries.append(("tensors", .array(c.tensors.map { t in
                .object([("name", .string(t.name)), ("dtype", .string(t.dtype.rawValue)),
                         ("shape", .array(t.shape.map(JSON.int))), ("bytes", .int(t.byteCount))])
            })))
        }
        entries += [
            ("dtypes", .array(c.dtypeTotals.map {
                .object([("dtype", .string($0.dtype)), ("count", .int($0.count)), ("bytes", .int($0.bytes))])
            })),
            ("tensorCount", .int(c.tensorCount)),
            ("bytes", .int(c.bytes)),
            ("metadata", .object(c.metadata.keys.sorted().map { ($0, .string(c.metadata[$0]!)) })),
        ]
        return .object(entries)
    }

    static func kind(_ kind: CheckpointKind) -> JSON {
        .object([
            ("summary", .string(kind.summary)),
            ("parts", .array(kind.components.map(part))),
        ])
    }

    static func part(_ p: DetectedComponent) -> JSON {
        let d = p.dimensions
        return .object([
            ("prefix", .string(p.prefix)),
            ("name", .string(p.name)),
            ("family", .string(p.family.rawValue)),
            ("role", .string(p.role.rawValue)),
            ("variant", .optional(p.variant)),
            ("layout", .string(p.layout.rawValue)),
            ("tensorCount", .int(p.tensorCount)),
            ("dimensions", .object([
                ("hiddenSize", .optional(d.hiddenSize)), ("depth", .optional(d.depth)),
                ("singleBlocks", .optional(d.singleBlocks)), ("heads", .optional(d.heads)),
                ("headDim", .optional(d.headDim)), ("mlpHidden", .optional(d.mlpHidden)),
                ("inFeatures", .optional(d.inFeatures)), ("contextDim", .optional(d.contextDim)),
                ("latentChannels", .optional(d.latentChannels)), ("baseChannels", .optional(d.baseChannels)),
                ("vocabulary", .optional(d.vocabulary)),
            ])),
            ("quantization", .array(p.quantization.map { scheme in
                .object([("scheme", .string(identifier(scheme))), ("label", .string(scheme.label)),
                         ("detail", .string(scheme.detail))])
            })),
            ("notes", .array(p.notes.map(JSON.string))),
        ])
    }

    static func identifier(_ scheme: QuantizationScheme) -> String {
        switch scheme {
        case .scaledFP8: return "comfyScaledFP8"
        case .comfyQuant: return "comfyQuant"
        case .bitsAndBytesNF4(let version, _): return "bitsAndBytesNF4v\(version)"
        case .bitsAndBytesFP4: return "bitsAndBytesFP4"
        case .plainFP8: return "plainFP8"
        }
    }
}
