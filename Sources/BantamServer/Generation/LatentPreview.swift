import BantamCore
import BantamModels

/// A cheap picture of latents for live previews: each latent pixel's channels mapped to RGB by a linear
/// map (3 × C weights and a bias).
///
/// The map is fitted to the model's own autoencoder when the model loads, so it needs no constants from
/// elsewhere and suits fine-tunes and test models alike: 27 flat colours (R, G, B each 0, ½, 1) are encoded,
/// their mean latents taken, and RGB regressed on them by ridge least squares.
public struct LatentPreview: Sendable {
    public let channels: Int
    /// weights[o][c]: contribution of latent channel c to colour o (0 red, 1 green, 2 blue), on [0, 1].
    public let weights: [[Double]]
    public let bias: [Double]

    public init(weights: [[Double]], bias: [Double]) {
        precondition(weights.count == 3 && bias.count == 3)
        self.channels = weights[0].count
        self.weights = weights
        self.bias = bias
    }

    /// Fits the map to `autoencoder` (one batch of 27 tiny images through its encoder).
    public static func fit(autoencoder: FluxAutoencoder, backend: any Backend) throws -> LatentPreview {
        let side = 2 * autoencoder.config.downsampleFactor            // 2 × 2 latents per image
        let levels: [Double] = [0, 0.5, 1]
        var colours: [[Double]] = []
        for r in levels { for g in levels { for b in levels { colours.append([r, g, b]) } } }
        var pixels: [Float] = []
        pixels.reserveCapacity(colours.count * 3 * side * side)
        for colour in colours {
            for c in 0..<3 { pixels += [Float](repeating: Float(colour[c] * 2 - 1), count: side * side) }   // [-1, 1]
        }
        let images = try Tensor(pixels, shape: [colours.count, 3, side, side], on: backend)       // [27, 3, s, s]
        let latents = try autoencoder.encode(images).cast(to: .f32).floats()                      // [27, C, 2, 2]
        let c = autoencoder.config.latentChannels
        let area = latents.count / (colours.count * c)
        // Design matrix rows: the mean latent of each colour, then 1 (the bias).
        let rows: [[Double]] = (0..<colours.count).map { k in
            (0..<c).map { ch in
                let base = (k * c + ch) * area
                return latents[base..<(base + area)].reduce(0) { $0 + Double($1) } / Double(area)
            } + [1]
        }
        var weights: [[Double]] = [], bias: [Double] = []
        for o in 0..<3 {
            let solution = ridge(rows, colours.map { $0[o] }, lambda: 1e-4)
            weights.append(Array(solution[0..<c]))
            bias.append(solution[c])
        }
        return LatentPreview(weights: weights, bias: bias)
    }

    /// The estimate of the clean latents at a step (`latents − sigma · velocity`, both packed [1, L, 4C])
    /// as an RGB image of the latent grid (`height` × `width` latents: the image size over the
    /// autoencoder's factor).
    public func image(latents: Tensor, velocity: Tensor, sigma: Float, height: Int, width: Int) throws -> RGBImage {
        let x = try latents.floats(), v = try velocity.floats()
        let c = channels
        precondition(x.count == height * width * c && v.count == x.count, "latent preview: \(x.count) values for \(height)×\(width)×\(c)")
        var out = [UInt8](repeating: 0, count: height * width * 3)
        let tokensPerRow = width / 2
        var latent = [Double](repeating: 0, count: c)
        for y in 0..<height {
            for xPos in 0..<width {
                // Packed layout (diffusers' _pack_latents): token (y/2, x/2), feature c·4 + (y%2)·2 + x%2.
                let token = (y / 2) * tokensPerRow + xPos / 2
                let offset = (y % 2) * 2 + xPos % 2
                for ch in 0..<c {
                    let i = token * c * 4 + ch * 4 + offset
                    latent[ch] = Double(x[i] - sigma * v[i])
                }
                for o in 0..<3 {
                    var value = bias[o]
                    for ch in 0..<c { value += weights[o][ch] * latent[ch] }
                    out[(y * width + xPos) * 3 + o] = UInt8(max(0, min(255, (value * 255).rounded())))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// argmin ‖A w − y‖² + λ‖w‖² by the normal equations (Gaussian elimination, partial pivoting).
    public static func ridge(_ a: [[Double]], _ y: [Double], lambda: Double) -> [Double] {
        let n = a[0].count
        var m = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n)
        for i in 0..<n {
            for j in 0..<n { m[i][j] = zip(a, a).reduce(0) { $0 + $1.0[i] * $1.1[j] } + (i == j ? lambda : 0) }
            m[i][n] = zip(a, y).reduce(0) { $0 + $1.0[i] * $1.1 }
        }
        for col in 0..<n {
            let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            m.swapAt(col, pivot)
            guard abs(m[col][col]) > 1e-12 else { continue }
            for row in 0..<n where row != col {
                let f = m[row][col] / m[col][col]
                if f != 0 { for k in col...n { m[row][k] -= f * m[col][k] } }
            }
        }
        return (0..<n).map { abs(m[$0][$0]) > 1e-12 ? m[$0][n] / m[$0][$0] : 0 }
    }
}
