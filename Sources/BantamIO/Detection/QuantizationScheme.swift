/// Quantization formats recognized by their marker tensors (formats.md §4, §5).

/// A weight-quantization scheme found in a component.
public enum QuantizationScheme: Sendable, Equatable {
    /// Legacy ComfyUI "scaled fp8": a `scaled_fp8` marker tensor whose dtype is the storage dtype, and an
    /// F32 `scale_weight` scalar per quantized Linear (W = float(W_fp8) × scale_weight). A marker of
    /// 2 elements turns ComfyUI's fp8 matmul off.
    case scaledFP8(storage: String, scaledLayers: Int, inputScales: Int, fp8MatmulAllowed: Bool)
    /// Newer ComfyUI mixed precision: per-layer `comfy_quant` JSON tensors (or file metadata
    /// `_quantization_metadata`) and `weight_scale` tensors.
    case comfyQuant(layers: Int, weightScales: Int, configsInMetadata: Bool)
    /// bitsandbytes NF4 as saved by Forge (lllyasviel/flux1-dev-bnb-nf4): `weight.quant_state.bitsandbytes__nf4`
    /// per layer. v1 stores the per-64 absmax as 8-bit codes with a second quantization level
    /// (`nested_absmax`, `nested_quant_map`); v2 stores it as float32.
    case bitsAndBytesNF4(version: Int, layers: Int)
    /// bitsandbytes FP4 (`bitsandbytes__fp4` quant state).
    case bitsAndBytesFP4(layers: Int)
    /// FP8 weights with no scales at all: dequantization is a plain cast.
    case plainFP8(dtypes: [String], tensors: Int)

    /// The scheme's name with its defining trait.
    public var label: String {
        switch self {
        case .scaledFP8: return "ComfyUI scaled FP8 (scaled_fp8 marker, per-layer scale_weight)"
        case .comfyQuant: return "comfy_quant mixed precision"
        case .bitsAndBytesNF4(let version, _):
            return version == 1 ? "bitsandbytes NF4 v1 (double-quantized absmax)" : "bitsandbytes NF4 v2 (float32 absmax)"
        case .bitsAndBytesFP4: return "bitsandbytes FP4"
        case .plainFP8(let dtypes, _): return "plain FP8 (\(dtypes.joined(separator: " + ")) weights)"
        }
    }

    /// Counts and options, one line.
    public var detail: String {
        switch self {
        case .scaledFP8(let storage, let layers, let inputs, let allowed):
            return "\(layers) scaled layers stored as \(storage), \(inputs) input scales, fp8 matmul \(allowed ? "allowed" : "disabled") by the marker"
        case .comfyQuant(let layers, let scales, let inMetadata):
            let source = inMetadata ? "layer configs in __metadata__ _quantization_metadata" : "\(layers) comfy_quant layer configs"
            return "\(source), \(scales) weight_scale tensors"
        case .bitsAndBytesNF4(_, let layers): return "\(layers) NF4 layers, blocks of 64"
        case .bitsAndBytesFP4(let layers): return "\(layers) FP4 layers"
        case .plainFP8(_, let tensors): return "\(tensors) FP8 tensors, no scales (dequantize by casting)"
        }
    }
}

/// Finds the quantization markers among one component's tensors (names already without the prefix).
enum QuantizationDetector {
    static let fp8DTypes: Set<String> = ["F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ"]

    static func schemes(in tensors: [TensorSignature], metadata: [String: String]) -> [QuantizationScheme] {
        var found: [QuantizationScheme] = []

        // Legacy ComfyUI scaled fp8: the marker sits at the component's prefix.
        if let marker = tensors.first(where: { $0.name == "scaled_fp8" }) {
            // The marker's dtype is the storage dtype; an F32 marker is the legacy spelling of e4m3fn.
            let storage = fp8DTypes.contains(marker.dtype) ? marker.dtype : "F8_E4M3"
            found.append(.scaledFP8(storage: storage,
                                    scaledLayers: tensors.count { $0.name.hasSuffix(".scale_weight") },
                                    inputScales: tensors.count { $0.name.hasSuffix(".scale_input") },
                                    fp8MatmulAllowed: marker.elementCount != 2))
        }

        let comfyLayers = tensors.count { $0.name.hasSuffix(".comfy_quant") }
        let inMetadata = metadata["_quantization_metadata"] != nil
        if comfyLayers > 0 || inMetadata {
            found.append(.comfyQuant(layers: comfyLayers,
                                     weightScales: tensors.count { $0.name.hasSuffix(".weight_scale") },
                                     configsInMetadata: comfyLayers == 0 && inMetadata))
        }

        let nf4Layers = tensors.count { $0.name.hasSuffix(".quant_state.bitsandbytes__nf4") }
        if nf4Layers > 0 {
            // v1 ("double quant"): nested statistics present, absmax stored as U8 codes.
            let nested = tensors.contains { $0.name.hasSuffix(".nested_absmax") }
                || tensors.contains { $0.name.hasSuffix(".weight.absmax") && $0.dtype == "U8" }
            found.append(.bitsAndBytesNF4(version: nested ? 1 : 2, layers: nf4Layers))
        }
        let fp4Layers = tensors.count { $0.name.hasSuffix(".quant_state.bitsandbytes__fp4") }
        if fp4Layers > 0 { found.append(.bitsAndBytesFP4(layers: fp4Layers)) }

        // Plain fp8: FP8 tensors with data, in a component with no scaled scheme.
        if found.isEmpty {
            let fp8 = tensors.filter { fp8DTypes.contains($0.dtype) && $0.elementCount > 0 }
            if !fp8.isEmpty {
                let dtypes = Set(fp8.map(\.dtype)).sorted()
                found.append(.plainFP8(dtypes: dtypes, tensors: fp8.count))
            }
        }
        return found
    }
}
