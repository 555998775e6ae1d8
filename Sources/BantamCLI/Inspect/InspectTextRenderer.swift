import BantamIO

/// The human-readable form of an `InspectReport`.
enum InspectTextRenderer {
    static func render(_ report: InspectReport, tensorList: Bool, to out: any TextOutput) {
        for (i, component) in report.components.enumerated() {
            if i > 0 { out.line() }
            render(component, showName: report.components.count > 1, tensorList: tensorList, to: out)
        }
        if report.components.count > 1 {
            out.line()
            out.line("all \(report.components.count) components: \(Format.grouped(report.tensorCount)) tensors, "
                     + "\(Format.grouped(report.bytes)) bytes (\(Format.bytes(report.bytes)))")
        }
    }

    static func render(_ c: InspectReport.Component, showName: Bool, tensorList: Bool, to out: any TextOutput) {
        out.line(showName ? "component \(Format.printable(c.name)): \(Format.printable(c.path))" : Format.printable(c.path))
        renderKind(c.kind, to: out)
        if c.files.count == 1, let file = c.files.first {
            out.line("  file: \(file.path) (\(Format.bytes(file.bytes)))")
        } else {
            out.line("  files: \(c.files.count)")
            for file in c.files { out.line("    \(file.path) (\(Format.bytes(file.bytes)))") }
        }
        if tensorList { renderTensors(c.tensors, to: out) }
        out.line("  dtypes:")
        let width = max(5, c.dtypeTotals.map(\.dtype.count).max() ?? 0)
        for t in c.dtypeTotals {
            out.line("    \(Format.padded(t.dtype, width))  \(Format.leftPadded(Format.grouped(t.count), 7)) tensors  "
                     + "\(Format.leftPadded(Format.grouped(t.bytes), 18)) bytes (\(Format.bytes(t.bytes)))")
        }
        out.line("  total: \(Format.grouped(c.tensorCount)) tensors, \(Format.grouped(c.bytes)) bytes (\(Format.bytes(c.bytes)))")
        renderMetadata(c.metadata, to: out)
    }

    static func renderKind(_ kind: CheckpointKind, to out: any TextOutput) {
        out.line("  kind: \(kind.summary)")
        let parts = kind.components.filter { $0.family != .unknown || kind.components.count > 1 }
        for part in parts {
            var indent = "    "
            if kind.components.count > 1 {
                out.line("    - \(part.shortLabel): \(part.summary), \(Format.grouped(part.tensorCount)) tensors")
                indent = "      "
            }
            let dims = part.dimensions.description
            if !dims.isEmpty { out.line(indent + dims) }
            for scheme in part.quantization { out.line(indent + "quantization: \(scheme.label); \(scheme.detail)") }
            for note in part.notes { out.line(indent + "note: \(note)") }
        }
    }

    static func renderTensors(_ tensors: [TensorInfo], to out: any TextOutput) {
        out.line("  tensors:")
        let rows = tensors.map { (Format.printable($0.name), $0.dtype.rawValue, Format.shape($0.shape), Format.grouped($0.byteCount)) }
        let w0 = rows.map(\.0.count).max() ?? 0, w1 = max(5, rows.map(\.1.count).max() ?? 0)
        let w2 = max(5, rows.map(\.2.count).max() ?? 0), w3 = max(5, rows.map(\.3.count).max() ?? 0)
        out.line("    \(Format.padded("name", w0))  \(Format.padded("dtype", w1))  \(Format.padded("shape", w2))  \(Format.leftPadded("bytes", w3))")
        for r in rows {
            out.line("    \(Format.padded(r.0, w0))  \(Format.padded(r.1, w1))  \(Format.padded(r.2, w2))  \(Format.leftPadded(r.3, w3))")
        }
    }

    /// Keys with short one-line values shown inline; long ones by length (ComfyUI stores whole JSON here).
    static func renderMetadata(_ metadata: [String: String], to out: any TextOutput) {
        guard !metadata.isEmpty else {
            out.line("  metadata: none")
            return
        }
        out.line("  metadata: \(metadata.count) keys")
        for key in metadata.keys.sorted() {
            let value = metadata[key]!
            let inline = value.count <= 80 && !value.contains(where: { $0 == "\n" || $0 == "\r" })
            out.line("    \(Format.printable(key))" + (inline ? " = \(Format.printable(value))" : " (\(Format.grouped(value.count)) characters)"))
        }
    }
}
