import BantamQuant

/// The accuracy report of `bantam quantize --report`: one row per quantized layer (weights SNR, outputs SNR
/// on random inputs), totals, the worst layer, and the end-to-end part when the pipeline can provide it.
final class QuantizeReport: @unchecked Sendable {
    var layers: [LayerAccuracy] = []

    func render(to out: any TextOutput) {
        out.line("report: signal-to-noise of the quantized weights and of each layer's outputs (4 random input rows)")
        let width = max(5, layers.map(\.name.count).max() ?? 5)
        out.line("  " + Format.padded("layer", width) + "  format      params   weights   outputs")
        for l in layers {
            out.line("  " + Format.padded(l.name, width) + "  " + Format.padded(l.format, 8)
                     + Format.leftPadded(Format.grouped(l.parameters), 10) + Format.leftPadded(db(l.weights), 10)
                     + Format.leftPadded(db(l.outputs), 10))
        }
        let summary = AccuracySummary(layers)
        if let worst = summary.worst {
            out.line("  all \(layers.count) layers: weights \(db(summary.weights)), outputs \(db(summary.outputs)); lowest: \(worst.name) \(db(worst.outputs))")
        } else {
            out.line("  no layer was quantized")
        }
        out.line("  end-to-end (PSNR/SSIM of the image, relative error of the final latents against BF16, same seed): not available in this build — it needs the FLUX pipeline (BantamPipeline implements EndToEndGenerator; EndToEndAccuracy.compare does the comparison)")
    }

    private func db(_ s: SignalToNoise) -> String {
        let d = s.decibels
        return d.isInfinite ? (d > 0 ? "exact" : "-inf") : Format.fixed(d, 1) + " dB"
    }
}
