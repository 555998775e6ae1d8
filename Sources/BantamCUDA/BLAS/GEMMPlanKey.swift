import BantamCore

/// What cuBLASLt applies to the product before writing D.
public enum GEMMEpilogue: UInt32, Hashable, Sendable, CaseIterable {
    case none = 1          // CUBLASLT_EPILOGUE_DEFAULT
    case bias = 4          // CUBLASLT_EPILOGUE_BIAS: + bias[row of D] (our output column)
    case gelu = 32         // CUBLASLT_EPILOGUE_GELU (tanh approximation)
    case biasGELU = 36     // CUBLASLT_EPILOGUE_GELU_BIAS: bias, then GELU

    public init(bias: Bool, gelu: Bool) {
        switch (bias, gelu) {
        case (false, false): self = .none
        case (true, false): self = .bias
        case (false, true): self = .gelu
        case (true, true): self = .biasGELU
        }
    }

    public var hasBias: Bool { self == .bias || self == .biasGELU }
    public var hasGELU: Bool { self == .gelu || self == .biasGELU }
}

/// How the products accumulate.
public enum GEMMCompute: Hashable, Sendable {
    /// f32 accumulation; f32 operands multiply in full f32 (CUDA cores), 16-bit and FP8 on tensor cores.
    case f32
    /// f32 operands rounded to TF32 on tensor cores (faster, about 1e-3 relative error; opt-in).
    case tf32

    var cublasCode: Int32 { self == .f32 ? CuBLASComputeType.f32 : CuBLASComputeType.f32FastTF32 }
}

/// One operand of a cuBLASLt call without its address: element type, column-major layout, stride between
/// the matrices of a batch (elements; 0 broadcasts one matrix) and the alignment of its addresses.
public struct GEMMOperandKey: Hashable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var matrix: ColumnMajorMatrix
    public var batchStride: Int
    public var alignment: Int

    public init(dtype: DType, matrix: ColumnMajorMatrix, batchStride: Int, alignment: Int) {
        self.dtype = dtype; self.matrix = matrix; self.batchStride = batchStride; self.alignment = alignment
    }

    public var description: String { "\(dtype) \(matrix) stride \(batchStride) align \(alignment)" }
}

/// Everything that decides cuBLASLt's descriptors and algorithm for one GEMM; the plan cache's key. Two
/// calls with equal keys reuse one plan, so steady-state launches do no descriptor work or heuristic query.
/// Addresses (operands, bias, scales) are not part of it: they are set on the plan's descriptor per call.
public struct GEMMPlanKey: Hashable, Sendable, CustomStringConvertible {
    /// cuBLASLt's m, n, k (D is m × n) and the number of matrices in the batch.
    public var m: Int, n: Int, k: Int, batch: Int
    public var a: GEMMOperandKey
    public var b: GEMMOperandKey
    /// D (C is the same layout; beta is 0).
    public var d: GEMMOperandKey
    public var compute: GEMMCompute
    public var epilogue: GEMMEpilogue
    /// Element type of the bias vector (the output's, or another cuBLASLt accepts).
    public var biasDType: DType?
    /// FP8: per-row scales of op(A) (length m) and per-column scales of op(B) (length n) instead of none.
    public var outerVectorScales: Bool
    /// FP8: accumulate in the tensor cores' faster, less precise mode (CUBLASLT_MATMUL_DESC_FAST_ACCUM).
    public var fastAccumulation: Bool

    public init(m: Int, n: Int, k: Int, batch: Int, a: GEMMOperandKey, b: GEMMOperandKey, d: GEMMOperandKey,
                compute: GEMMCompute = .f32, epilogue: GEMMEpilogue = .none, biasDType: DType? = nil,
                outerVectorScales: Bool = false, fastAccumulation: Bool = false) {
        self.m = m; self.n = n; self.k = k; self.batch = batch
        self.a = a; self.b = b; self.d = d
        self.compute = compute; self.epilogue = epilogue; self.biasDType = biasDType
        self.outerVectorScales = outerVectorScales; self.fastAccumulation = fastAccumulation
    }

    /// Whether the shapes agree: op(A) is m × k, op(B) k × n, D m × n (what cuBLASLt would reject).
    public var isConsistent: Bool {
        a.matrix.logicalRows == m && a.matrix.logicalCols == k && b.matrix.logicalRows == k && b.matrix.logicalCols == n
            && !d.matrix.transposed && d.matrix.rows == m && d.matrix.cols == n
            && a.matrix.ld >= max(1, a.matrix.rows) && b.matrix.ld >= max(1, b.matrix.rows) && d.matrix.ld >= max(1, m)
            && (epilogue.hasBias == (biasDType != nil))
    }

    public var description: String {
        var text = "m \(m) n \(n) k \(k) batch \(batch); A \(a); B \(b); D \(d); \(compute) \(epilogue)"
        if let biasDType { text += " bias \(biasDType)" }
        if outerVectorScales { text += " outer-vector scales" }
        if fastAccumulation { text += " fast accumulation" }
        return text
    }

    /// FP8 tensor-core GEMMs on Hopper/Ada need the "TN" layout (op(A) = Aᵀ, op(B) = B) and leading
    /// dimensions that are multiples of 16 elements; cuBLASLt rejects other FP8 layouts.
    public var meetsFP8LayoutRules: Bool {
        a.matrix.transposed && !b.matrix.transposed && k % 16 == 0
            && a.matrix.ld % 16 == 0 && b.matrix.ld % 16 == 0 && d.matrix.ld % 8 == 0
            && a.alignment >= 16 && b.alignment >= 16 && d.alignment >= 16
    }
}
