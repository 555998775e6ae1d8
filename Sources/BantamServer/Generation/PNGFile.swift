import BantamPipeline

/// PNG bytes for the server's images and previews, through BantamPipeline's encoder (filtered rows,
/// DEFLATE; text as tEXt, or iTXt when not Latin-1 — what A1111's "PNG Info" reads).
public enum PNGFile {
    public static func encode(_ image: RGBImage, text: [PNGText] = []) -> [UInt8] {
        PNGEncoder.encode(rgb: image.pixels, width: image.width, height: image.height, text: text.map { ($0.keyword, $0.text) })
    }
}
