import BantamCore

/// Finds the quantized weights of a source and the tensors that belong to them, from names, dtypes and
/// shapes, plus the small JSON tensors (QuantizedTensorSource's index). Problems of one layer make that
/// layer `.damaged` (reported by name when it is loaded); other layers are unaffected.
struct Scan {
    let base: any TensorSource
    let host: any Backend
    var stored: [String: StoredWeight] = [:]
    var hidden: Set<String> = []

    init(base: any TensorSource, host: any Backend) {
        self.base = base
        self.host = host
    }

    static let nf4StateSuffix = ".quant_state.bitsandbytes__nf4"
    static let fp4StateSuffix = ".quant_state.bitsandbytes__fp4"
    static let nf4Parts = [".absmax", ".quant_map", ".nested_absmax", ".nested_quant_map"]

    mutating func run() throws {
        let keys = base.keys
        let present = Set(keys)
        // The legacy marker: hidden; a 2-element marker turns ComfyUI's fp8 matmul (and input scales) off.
        var inputScalesOff = false
        for key in keys where key == "scaled_fp8" || key.hasSuffix(".scaled_fp8") {
            hidden.insert(key)
            if base.shape(of: key)?.count == 2 { inputScalesOff = true }
        }
        let metadataConfigs = try comfyMetadataConfigs()

        // 1. bitsandbytes 4-bit weights, found by their quant_state.
        for key in keys {
            let isNF4 = key.hasSuffix(Self.nf4StateSuffix), isFP4 = key.hasSuffix(Self.fp4StateSuffix)
            guard isNF4 || isFP4 else { continue }
            let weight = String(key.dropLast((isNF4 ? Self.nf4StateSuffix : Self.fp4StateSuffix).count))
            guard present.contains(weight) else { continue }     // an orphan: left listed, reported unexpected
            hidden.insert(key)
            for part in Self.nf4Parts where present.contains(weight + part) { hidden.insert(weight + part) }
            if isFP4 {
                stored[weight] = .damaged(QuantizationError(.unsupportedFormat, weight, "bitsandbytes FP4 weights are not supported; use an NF4 or FP8 file, or a BF16 one and --precision"), shape: nil)
                continue
            }
            stored[weight] = nf4Layer(weight, stateKey: key, present: present)
        }
        // An NF4-looking weight (absmax next to a U8 weight) without its quant_state cannot be read.
        for key in keys where key.hasSuffix(".absmax") {
            let weight = String(key.dropLast(".absmax".count))
            guard stored[weight] == nil, present.contains(weight), base.dtype(of: weight) == .u8 else { continue }
            for part in Self.nf4Parts where present.contains(weight + part) { hidden.insert(weight + part) }
            stored[weight] = .damaged(QuantizationError(.missingKey, weight, "has an NF4 absmax but no \(weight + Self.nf4StateSuffix); the file is incomplete, download it again"), shape: nil)
        }

        // 2. FP8 weights, with the scales of whichever ComfyUI format the file uses.
        for key in keys where stored[key] == nil && !hidden.contains(key) && (base.dtype(of: key)?.isFloat8 ?? false) {
            let layer = key.hasSuffix(".weight") ? String(key.dropLast(".weight".count)) : nil
            guard let layer else {
                stored[key] = nil          // a plain FP8 tensor with no layer name: read as stored
                continue
            }
            stored[key] = fp8Layer(key, layer: layer, present: present, metadataConfigs: metadataConfigs,
                                   inputScalesOff: inputScalesOff)
        }

        // 3. comfy_quant layers whose weight is not FP8 (nvfp4, ...): refused by name.
        for key in keys where key.hasSuffix(".comfy_quant") && !hidden.contains(key) {
            let layer = String(key.dropLast(".comfy_quant".count)), weight = layer + ".weight"
            guard present.contains(weight), stored[weight] == nil else { continue }
            hidden.insert(key)
            let format = (try? ComfyQuantConfig(json: bytes(key), name: key).format) ?? "unreadable"
            for part in [".weight_scale", ".weight_scale_2", ".input_scale"] where present.contains(layer + part) {
                hidden.insert(layer + part)
            }
            stored[weight] = .damaged(QuantizationError(.unsupportedFormat, weight, "comfy_quant format '\(format)' is not supported (Bantam reads float8_e4m3fn and float8_e5m2)"), shape: base.shape(of: weight))
        }
    }

    /// `_quantization_metadata` layer configs, keyed by the names this source uses (a prefixed view's
    /// prefix removed).
    private func comfyMetadataConfigs() throws -> [String: ComfyQuantConfig] {
        guard let text = base.metadata["_quantization_metadata"] else { return [:] }
        let all = try ComfyQuantConfig.layers(fromMetadata: text, name: base.sourceDescription)
        guard let prefixed = base as? PrefixedTensorSource else { return all }
        var result: [String: ComfyQuantConfig] = [:]
        for (layer, config) in all where layer.hasPrefix(prefixed.prefix) {
            result[String(layer.dropFirst(prefixed.prefix.count))] = config
        }
        return result
    }

    /// The bytes of a small tensor (JSON).
    private func bytes(_ key: String) throws -> [UInt8] {
        try base.load(key, on: host).hostByteArray()
    }

    private func nf4Layer(_ weight: String, stateKey: String, present: Set<String>) -> StoredWeight {
        func damaged(_ kind: QuantizationError.Kind, _ detail: String, _ shape: [Int]? = nil) -> StoredWeight {
            .damaged(QuantizationError(kind, weight, detail), shape: shape.map { Shape($0) })
        }
        let state: BitsAndBytesQuantState
        do {
            state = try BitsAndBytesQuantState(json: try bytes(stateKey), name: stateKey)
        } catch let e as QuantizationError {
            return .damaged(e, shape: nil)
        } catch {
            return damaged(.badMetadata, "its quant_state cannot be read (\(error))")
        }
        let shape = state.shape
        guard state.quantType == "nf4" else { return damaged(.unsupportedFormat, "quant_type '\(state.quantType)' is not supported (only nf4)") }
        guard shape.count == 2 else { return damaged(.badMetadata, "quant_state shape \(shape) is not a Linear weight [out, in]") }
        guard let original = state.dtype else { return damaged(.badMetadata, "quant_state dtype '\(state.dtypeName)' is not bfloat16, float16 or float32", shape) }
        let count = shape[0] * shape[1]
        guard count % 2 == 0 else { return damaged(.unsupportedLayout, "an NF4 weight of shape \(shape) has an odd number of elements, which Bantam does not support", shape) }
        guard state.blockSize > 0, state.blockSize % 2 == 0 else { return damaged(.badMetadata, "quant_state blocksize \(state.blockSize) is not a positive even number", shape) }
        let blocks = (count + state.blockSize - 1) / state.blockSize
        // Sizes, from the header alone.
        guard let packed = base.shape(of: weight), base.dtype(of: weight) == .u8, packed.count == count / 2 else {
            return damaged(.badTensor, "the packed codes are \(base.dtype(of: weight).map { "\($0)" } ?? "?") \(base.shape(of: weight).map { "\($0)" } ?? "?"); expected \(count / 2) U8 bytes for \(shape)", shape)
        }
        let absmaxKey = weight + ".absmax", mapKey = weight + ".quant_map"
        guard present.contains(absmaxKey) else { return damaged(.missingKey, "\(absmaxKey) is missing; the file is incomplete, download it again", shape) }
        guard present.contains(mapKey) else { return damaged(.missingKey, "\(mapKey) is missing; the file is incomplete, download it again", shape) }
        guard base.shape(of: mapKey)?.count == 16, base.dtype(of: mapKey)?.isFloatingPoint ?? false else {
            return damaged(.badTensor, "\(mapKey) must hold 16 float values; it is \(base.dtype(of: mapKey).map { "\($0)" } ?? "?") \(base.shape(of: mapKey).map { "\($0)" } ?? "?")", shape)
        }
        guard base.shape(of: absmaxKey)?.count == blocks else {
            return damaged(.badTensor, "\(absmaxKey) has \(base.shape(of: absmaxKey)?.count ?? 0) values; expected \(blocks) (one per \(state.blockSize) elements of \(shape))", shape)
        }
        var nestedAbsmaxKey: String? = nil, nestedMapKey: String? = nil
        if let nested = state.nested {
            let na = weight + ".nested_absmax", nm = weight + ".nested_quant_map"
            guard present.contains(na), present.contains(nm) else {
                return damaged(.missingKey, "a v1 (double-quantized) NF4 weight needs \(na) and \(nm); the file is incomplete", shape)
            }
            guard base.dtype(of: absmaxKey) == .u8 else { return damaged(.badTensor, "\(absmaxKey) of a v1 weight must be U8 codes", shape) }
            guard nested.blockSize > 0, base.shape(of: na)?.count == (blocks + nested.blockSize - 1) / nested.blockSize,
                  base.dtype(of: na)?.isFloatingPoint ?? false else {
                return damaged(.badTensor, "\(na) must hold \((blocks + max(nested.blockSize, 1) - 1) / max(nested.blockSize, 1)) float values (one per \(nested.blockSize) absmax)", shape)
            }
            guard base.shape(of: nm)?.count == 256, base.dtype(of: nm)?.isFloatingPoint ?? false else {
                return damaged(.badTensor, "\(nm) must hold 256 float values", shape)
            }
            (nestedAbsmaxKey, nestedMapKey) = (na, nm)
        } else {
            guard base.dtype(of: absmaxKey)?.isFloatingPoint ?? false else {
                return damaged(.badTensor, "\(absmaxKey) is \(base.dtype(of: absmaxKey).map { "\($0)" } ?? "?") but the quant_state has no nested (v1) fields; expected F32", shape)
            }
        }
        return .nf4(NF4Layout(key: weight, absmaxKey: absmaxKey, quantMapKey: mapKey, nestedAbsmaxKey: nestedAbsmaxKey,
                              nestedMapKey: nestedMapKey, state: state, originalDType: original))
    }

    private mutating func fp8Layer(_ key: String, layer: String, present: Set<String>,
                                   metadataConfigs: [String: ComfyQuantConfig], inputScalesOff: Bool) -> StoredWeight? {
        let configKey = layer + ".comfy_quant"
        var config = metadataConfigs[layer]
        if present.contains(configKey) {
            hidden.insert(configKey)
            do {
                config = try ComfyQuantConfig(json: try bytes(configKey), name: configKey)
            } catch let e as QuantizationError {
                return .damaged(e, shape: base.shape(of: key))
            } catch {
                return .damaged(QuantizationError(.badMetadata, configKey, "cannot be read (\(error))"), shape: base.shape(of: key))
            }
        }
        let scaleKey: String?, inputKey: String?, legacy: Bool
        if let config {
            guard let dtype = config.fp8DType else {
                return .damaged(QuantizationError(.unsupportedFormat, key, "comfy_quant format '\(config.format)' is not supported (Bantam reads float8_e4m3fn and float8_e5m2)"), shape: base.shape(of: key))
            }
            guard dtype == base.dtype(of: key) else {
                return .damaged(QuantizationError(.badMetadata, key, "comfy_quant says \(config.format) but the weight is stored as \(base.dtype(of: key)!)"), shape: base.shape(of: key))
            }
            guard present.contains(layer + ".weight_scale") else {
                return .damaged(QuantizationError(.missingKey, key, "\(layer).weight_scale is missing (comfy_quant \(config.format) layers need it); the file is incomplete"), shape: base.shape(of: key))
            }
            scaleKey = layer + ".weight_scale"
            inputKey = present.contains(layer + ".input_scale") ? layer + ".input_scale" : nil
            legacy = false
        } else if present.contains(layer + ".scale_weight") {
            scaleKey = layer + ".scale_weight"
            inputKey = present.contains(layer + ".scale_input") ? layer + ".scale_input" : nil
            legacy = true
        } else if present.contains(layer + ".weight_scale") {
            scaleKey = layer + ".weight_scale"
            inputKey = present.contains(layer + ".input_scale") ? layer + ".input_scale" : nil
            legacy = false
        } else {
            // Plain FP8 (a cast): read as stored. A stray scale_input without scale_weight stays listed.
            return nil
        }
        for k in [scaleKey, inputKey].compactMap({ $0 }) { hidden.insert(k) }
        let perRow = (base.shape(of: scaleKey!)?.count ?? 1) > 1
        return .fp8(FP8Layout(key: key, scaleKey: scaleKey, inputScaleKey: inputScalesOff ? nil : inputKey,
                              legacyInputScale: legacy, perRowHint: perRow ? "per-row" : "per-tensor"))
    }
}
