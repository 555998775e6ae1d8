import BantamCore
import CBantamKernels
#if canImport(Glibc)
import Glibc
#endif

/// The micro-kernel behind the CPU GEMM (matmul, linear, attention, conv2d).
///
/// Swift code in this package is compiled for the baseline instruction set (SSE2 on x86-64, NEON on
/// arm64), so the portable `swift` kernel cannot use AVX. On x86-64 CPUs that have them, C kernels with
/// function-level target attributes (Sources/CBantamKernels) run instead; they are chosen at run time,
/// never assumed. All kernels accumulate in f32 over the same packed panels; results differ between
/// kernels only by the rounding of fused multiply-adds.
public enum GemmKernel: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Portable SIMD Swift, 6 × 8 register tile.
    case swift
    /// AVX2 + FMA C kernel, 6 × 16 register tile.
    case avx2
    /// AVX-512F C kernel, 12 × 32 register tile.
    case avx512

    public var description: String { rawValue }

    /// Whether this CPU can run the kernel.
    public var isAvailable: Bool {
        switch self {
        case .swift: return true
        case .avx2: return GemmKernel.cpuHasAVX2
        case .avx512: return GemmKernel.cpuHasAVX512
        }
    }

    /// The kernels this CPU can run, slowest (portable) first.
    public static var available: [GemmKernel] { allCases.filter(\.isAvailable) }

    /// The fastest available kernel, unless `BANTAM_CPU_KERNEL` names another available one
    /// (`swift`, `avx2`, `avx512`; an unknown or unavailable name is ignored).
    public static let preferred: GemmKernel = {
        if let value = getenv("BANTAM_CPU_KERNEL"), let forced = GemmKernel(rawValue: String(cString: value)),
           forced.isAvailable {
            return forced
        }
        return available.last!
    }()

    private static let cpuHasAVX512 = bantam_cpu_supports_avx512f() != 0
    private static let cpuHasAVX2 = bantam_cpu_supports_avx2_fma() != 0
}

/// Block sizes of one GEMM call: the register tile (mr × nr) of the kernel and the cache blocks.
///
/// The driver packs a kc × nc panel of B, shared by all threads and meant to stay in each core's L2
/// (256 × 1024 floats = 1 MiB of the 2 MiB L2 of the target Xeon), and per thread an mc × kc block of A
/// (mc only sets the work unit; 144 × 256 floats = 144 KiB). The kernel then streams the kc × nr slivers
/// of the B panel past one mr × kc sliver of A that stays in L1 (12 × 256 floats = 12 KiB of 48 KiB).
/// K and M are split into equal blocks no larger than these, so there is no thin last block.
struct GemmBlocking {
    let kernel: GemmKernel
    let mr: Int
    let nr: Int
    let mc: Int
    let kc: Int
    let nc: Int
    /// How many copies of each A value the kernel's A panel holds (4 for the Swift kernel, which reads
    /// A pre-broadcast; 1 for the C kernels, which broadcast from memory for free).
    let aReplication: Int

    /// Default blocks for `kernel`, shrunk to the problem so small matrices allocate little.
    init(kernel: GemmKernel, m: Int, n: Int, k: Int) {
        self.kernel = kernel
        let (mr, nr, mcMax, kcMax, ncMax): (Int, Int, Int, Int, Int)
        switch kernel {
        case .avx512: (mr, nr, mcMax, kcMax, ncMax) = (12, 32, 144, 256, 1024)
        case .avx2: (mr, nr, mcMax, kcMax, ncMax) = (6, 16, 120, 256, 1024)
        case .swift: (mr, nr, mcMax, kcMax, ncMax) = (6, 8, 96, 256, 1024)
        }
        self.mr = mr
        self.nr = nr
        aReplication = kernel == .swift ? 4 : 1
        let kBlocks = max(1, (k + kcMax - 1) / kcMax)
        kc = max(1, (k + kBlocks - 1) / kBlocks)
        let mBlocks = max(1, (m + mcMax - 1) / mcMax)
        mc = GemmBlocking.roundUp((m + mBlocks - 1) / mBlocks, to: mr)
        nc = min(ncMax, GemmBlocking.roundUp(max(n, 1), to: nr))
    }

    static func roundUp(_ x: Int, to multiple: Int) -> Int { (x + multiple - 1) / multiple * multiple }
}
