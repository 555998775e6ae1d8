import BantamCore
import BantamIO

/// Initial noise read from a safetensors file (`bantam generate --noise FILE`), to reproduce another
/// tool's generation exactly: the tensor named "noise", or the file's only tensor, of shape
/// [1, C, H/f, W/f] or [C, H/f, W/f] (unpacked latents, any float dtype).
public enum NoiseFile {
    public static func load(_ path: String, channels: Int, height: Int, width: Int) throws -> [Float] {
        let file = try SafetensorsFile(path: path)
        let names = file.tensorNames
        guard let name = names.contains("noise") ? "noise" : (names.count == 1 ? names[0] : nil) else {
            throw PipelineError("\(path): holds \(names.count) tensors and none named 'noise'; give a file with one tensor, or name it 'noise'")
        }
        let info = file[name]!
        let expected = [channels, height, width]
        guard info.shape == expected || info.shape == [1] + expected else {
            throw PipelineError("\(path): tensor '\(name)' is \(Shape(info.shape)); this image needs noise of shape [1, \(channels), \(height), \(width)]")
        }
        guard let dtype = info.dtype.runtime, dtype.isFloatingPoint else {
            throw PipelineError("\(path): tensor '\(name)' is \(info.dtype.rawValue); noise must be a float tensor")
        }
        // Decoded straight from the mapped bytes (torch's casts), no backend needed.
        let bytes = try file.bytes(of: name)
        let count = info.elementCount
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            ElementConversion.decode(dtype, from: bytes.baseAddress!, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }
}
