import BantamCore

/// How far a result is from a float64 reference.
public struct ErrorReport: CustomStringConvertible, Sendable {
    public var maxAbs: Double = 0
    public var maxRel: Double = 0
    /// Index of the worst element (by |a − e| − (atol + rtol·|e|)).
    public var worstIndex: Int = -1
    public var worstActual: Double = 0
    public var worstExpected: Double = 0
    public var violations: Int = 0
    public var count: Int = 0

    public var description: String {
        "max abs err \(maxAbs), max rel err \(maxRel), \(violations)/\(count) outside tolerance" +
            (worstIndex >= 0 ? "; worst at \(worstIndex): got \(worstActual), expected \(worstExpected)" : "")
    }
}

/// Compares element-wise with |actual − expected| ≤ atol + rtol·|expected| (NaN only matches NaN).
public func compare(_ actual: [Float], _ expected: [Double], atol: Double, rtol: Double) -> ErrorReport {
    var report = ErrorReport()
    report.count = expected.count
    guard actual.count == expected.count else {
        report.violations = max(actual.count, expected.count)
        return report
    }
    var worstExcess = -Double.infinity
    for i in 0..<expected.count {
        let a = Double(actual[i]), e = expected[i]
        if a.isNaN || e.isNaN {
            if a.isNaN != e.isNaN {
                report.violations += 1
                if worstExcess < .infinity { worstExcess = .infinity; report.worstIndex = i; report.worstActual = a; report.worstExpected = e }
            }
            continue
        }
        if a == e { continue }   // equal infinities included
        let abs = (a - e).magnitude
        report.maxAbs = max(report.maxAbs, abs)
        if e != 0 { report.maxRel = max(report.maxRel, abs / e.magnitude) }
        let excess = abs - (atol + rtol * e.magnitude)
        if excess > 0 { report.violations += 1 }
        if excess > worstExcess { worstExcess = excess; report.worstIndex = i; report.worstActual = a; report.worstExpected = e }
    }
    return report
}

/// Tolerances for comparing a kernel that stores `dtype` with a float64 reference computed from the same
/// (already rounded) inputs: one rounding of the output plus f32 accumulation error over `reduction` terms.
public func tolerance(for dtype: DType, reduction: Int = 1) -> (atol: Double, rtol: Double) {
    let accumulation = 1e-6 * Double(max(reduction, 1)).squareRoot() * 4
    switch dtype {
    case .bf16: return (1e-2 + accumulation, 1.6e-2)
    case .f16: return (2e-3 + accumulation, 2e-3)
    default: return (1e-5 + accumulation, 1e-5 + accumulation)
    }
}
