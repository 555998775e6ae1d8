import BantamCore

/// Float64 references for convolution and nearest upsampling, as direct loops.

/// Output size of a convolution along one axis (PyTorch's formula).
public func referenceConvOutputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int {
    (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
}

/// x [N, C, H, W] * weight [O, C/G, KH, KW] (+ bias [O]) -> [N, O, OH, OW] with zero padding, computed
/// element by element in float64.
public func referenceConv2d(x: [Double], xShape: [Int], weight: [Double], weightShape: [Int], bias: [Double]?,
                            params p: Conv2dParams) -> (values: [Double], shape: [Int]) {
    let (n, c, h, w) = (xShape[0], xShape[1], xShape[2], xShape[3])
    let (o, cg, kh, kw) = (weightShape[0], weightShape[1], weightShape[2], weightShape[3])
    let oh = referenceConvOutputSize(input: h, kernel: kh, stride: p.strideH, padding: p.padH, dilation: p.dilationH)
    let ow = referenceConvOutputSize(input: w, kernel: kw, stride: p.strideW, padding: p.padW, dilation: p.dilationW)
    let og = o / p.groups
    var out = [Double](repeating: 0, count: n * o * oh * ow)
    for b in 0..<n {
        for oc in 0..<o {
            let g = oc / og
            for y in 0..<oh {
                for xo in 0..<ow {
                    var acc = bias?[oc] ?? 0
                    for ci in 0..<cg {
                        let channel = g * cg + ci
                        for ky in 0..<kh {
                            let iy = y * p.strideH - p.padH + ky * p.dilationH
                            guard iy >= 0 && iy < h else { continue }
                            for kx in 0..<kw {
                                let ix = xo * p.strideW - p.padW + kx * p.dilationW
                                guard ix >= 0 && ix < w else { continue }
                                acc += weight[((oc * cg + ci) * kh + ky) * kw + kx] * x[((b * c + channel) * h + iy) * w + ix]
                            }
                        }
                    }
                    out[((b * o + oc) * oh + y) * ow + xo] = acc
                }
            }
        }
    }
    return (out, [n, o, oh, ow])
}

/// Nearest upsampling of the elements of x [N, C, H, W] (any element type) by `factor`.
public func referenceUpsampleNearest<T>(_ x: [T], shape: [Int], factor: Int) -> [T] {
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    var out: [T] = []
    out.reserveCapacity(x.count * factor * factor)
    for plane in 0..<planes {
        for y in 0..<(h * factor) {
            for xo in 0..<(w * factor) { out.append(x[(plane * h + y / factor) * w + xo / factor]) }
        }
    }
    return out
}
