import BantamCore

/// cuDNN 9's backend ("graph") C API, opened with dlopen at run time like the other CUDA libraries.
///
/// Bantam uses only the backend API: descriptors created, given attributes and finalized, then an
/// execution plan run with a variant pack (see CUDNNGraphBuilder). Enum values below are those of
/// cudnn_graph.h in cuDNN 9 (stable across 9.x; checked against 9.28).
public final class CUDNNAPI: @unchecked Sendable {
    public typealias Status = Int32
    public typealias Descriptor = UnsafeMutableRawPointer

    typealias GetVersion = @convention(c) () -> Int
    typealias Create = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?) -> Status
    typealias Destroy = @convention(c) (OpaquePointer?) -> Status
    typealias SetStream = @convention(c) (OpaquePointer?, CUstream?) -> Status
    typealias GetErrorString = @convention(c) (Status) -> UnsafePointer<CChar>?
    typealias GetLastErrorString = @convention(c) (UnsafeMutablePointer<CChar>?, Int) -> Void
    typealias CreateDescriptor = @convention(c) (Int32, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Status
    typealias DestroyDescriptor = @convention(c) (UnsafeMutableRawPointer?) -> Status
    typealias Finalize = @convention(c) (UnsafeMutableRawPointer?) -> Status
    typealias SetAttribute = @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, Int64, UnsafeRawPointer?) -> Status
    typealias GetAttribute = @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, Int64, UnsafeMutablePointer<Int64>?,
                                             UnsafeMutableRawPointer?) -> Status
    typealias Execute = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Status

    public let library: DynamicLibrary
    /// cudnnGetVersion(): 92800 for 9.28.0.
    public let version: Int
    let cudnnCreate: Create
    let cudnnDestroy: Destroy
    let cudnnSetStream: SetStream
    let cudnnGetErrorString: GetErrorString
    let cudnnGetLastErrorString: GetLastErrorString?
    let createDescriptor: CreateDescriptor
    let destroyDescriptor: DestroyDescriptor
    let finalize: Finalize
    let setAttribute: SetAttribute
    let getAttribute: GetAttribute
    let execute: Execute

    /// "9.28.0".
    public var versionString: String { "\(version / 10000).\(version / 100 % 100).\(version % 100)" }

    init(library: DynamicLibrary) throws {
        self.library = library
        version = try library.function("cudnnGetVersion", as: GetVersion.self)()
        cudnnCreate = try library.function("cudnnCreate", as: Create.self)
        cudnnDestroy = try library.function("cudnnDestroy", as: Destroy.self)
        cudnnSetStream = try library.function("cudnnSetStream", as: SetStream.self)
        cudnnGetErrorString = try library.function("cudnnGetErrorString", as: GetErrorString.self)
        cudnnGetLastErrorString = library.optionalFunction("cudnnGetLastErrorString", as: GetLastErrorString.self)
        createDescriptor = try library.function("cudnnBackendCreateDescriptor", as: CreateDescriptor.self)
        destroyDescriptor = try library.function("cudnnBackendDestroyDescriptor", as: DestroyDescriptor.self)
        finalize = try library.function("cudnnBackendFinalize", as: Finalize.self)
        setAttribute = try library.function("cudnnBackendSetAttribute", as: SetAttribute.self)
        getAttribute = try library.function("cudnnBackendGetAttribute", as: GetAttribute.self)
        execute = try library.function("cudnnBackendExecute", as: Execute.self)
        guard version >= 90000 else {
            throw TensorError.backendFailure(backend: "cuda", detail: "cuDNN \(versionString) at \(library.loadedPath) is older than 9.0; install cuDNN 9 (pip install nvidia-cudnn-cu13)")
        }
    }

    /// Where Bantam looks for libcudnn.so.9 (the same places as the other CUDA libraries, plus pip's
    /// nvidia/cudnn wheel).
    public static let spec = LibrarySpec(
        title: "cuDNN", fileNames: ["libcudnn.so.9"], inToolkit: true, pipPackages: ["cudnn", "cu13", "cu12"],
        installHint: "pip install nvidia-cudnn-cu13 (or install cuDNN 9), or point BANTAM_CUDA_LIBS at the folder holding libcudnn.so.9")

    /// Opens cuDNN once per process, or says in one line why it cannot.
    public static let shared: Result<CUDNNAPI, CUDAUnavailable> = load(environment: .current)

    public static func load(environment: SearchEnvironment) -> Result<CUDNNAPI, CUDAUnavailable> {
        switch LibraryLoader.open(spec, in: environment) {
        case .failure(let why): return .failure(why)
        case .success(let library):
            do { return .success(try CUDNNAPI(library: library)) } catch {
                return .failure(CUDAUnavailable("\(error)"))
            }
        }
    }

    // MARK: errors

    /// Throws a one-line error naming the call, the status and cuDNN's own last message.
    func check(_ status: Status, _ what: @autoclosure () -> String) throws {
        guard status != 0 else { return }
        throw CUDNNError(call: what(), status: status, name: statusName(status), message: lastError())
    }

    func statusName(_ status: Status) -> String {
        cudnnGetErrorString(status).map { String(cString: $0) } ?? "status \(status)"
    }

    /// cuDNN's most recent error message (empty when it has none).
    func lastError() -> String {
        guard let get = cudnnGetLastErrorString else { return "" }
        var buffer = [CChar](repeating: 0, count: 1024)
        get(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: "\n").first.map(String.init) ?? ""
    }
}

/// A cuDNN call failed: one line with the call, the status name and cuDNN's message.
public struct CUDNNError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let status: Int32
    public let name: String
    public let message: String
    /// CUDNN_STATUS_NOT_SUPPORTED and its sub-codes (3000...3999): cuDNN declines this graph or shape.
    public var isNotSupported: Bool { (3000..<4000).contains(status) }

    public var description: String {
        "cuDNN \(call) failed: \(name)" + (message.isEmpty ? "" : " (\(message))")
    }
}

/// Backend enum values (cudnn_graph.h, cuDNN 9).
enum CUDNN {
    // cudnnBackendDescriptorType_t
    static let pointwiseDescriptor: Int32 = 0
    static let engineConfigDescriptor: Int32 = 3
    static let engineHeuristicsDescriptor: Int32 = 4
    static let executionPlanDescriptor: Int32 = 5
    static let pointwiseOperationDescriptor: Int32 = 13
    static let operationGraphDescriptor: Int32 = 15
    static let variantPackDescriptor: Int32 = 16
    static let tensorDescriptor: Int32 = 17
    static let matmulDescriptor: Int32 = 18
    static let matmulOperationDescriptor: Int32 = 19
    static let reductionDescriptor: Int32 = 21
    static let reductionOperationDescriptor: Int32 = 22
    static let sdpaForwardOperationDescriptor: Int32 = 41        // cuDNN 9.13

    // cudnnBackendAttributeType_t
    static let typeHandle: Int32 = 0
    static let typeDataType: Int32 = 1
    static let typeBoolean: Int32 = 2
    static let typeInt64: Int32 = 3
    static let typeVoidPointer: Int32 = 6
    static let typeHeuristicsMode: Int32 = 8
    static let typePointwiseMode: Int32 = 14
    static let typeBackendDescriptor: Int32 = 15
    static let typeReductionOperator: Int32 = 18

    // cudnnBackendAttributeName_t
    static let pointwiseMode: Int32 = 0
    static let pointwiseMathPrecision: Int32 = 1
    static let heuristicsMode: Int32 = 200
    static let heuristicsOperationGraph: Int32 = 201
    static let heuristicsResults: Int32 = 202
    static let planHandle: Int32 = 400
    static let planEngineConfig: Int32 = 401
    static let planWorkspaceSize: Int32 = 402
    static let pointwiseOpDescriptor: Int32 = 750
    static let pointwiseOpX: Int32 = 751
    static let pointwiseOpB: Int32 = 752
    static let pointwiseOpY: Int32 = 753
    static let graphHandle: Int32 = 800
    static let graphOperations: Int32 = 801
    static let tensorByteAlignment: Int32 = 900
    static let tensorDataType: Int32 = 901
    static let tensorDimensions: Int32 = 902
    static let tensorStrides: Int32 = 903
    static let tensorUniqueID: Int32 = 906
    static let tensorIsVirtual: Int32 = 907
    static let tensorIsByValue: Int32 = 908
    static let variantPackUniqueIDs: Int32 = 1000
    static let variantPackDataPointers: Int32 = 1001
    static let variantPackWorkspace: Int32 = 1003
    static let matmulComputeType: Int32 = 1500
    static let matmulOpA: Int32 = 1520
    static let matmulOpB: Int32 = 1521
    static let matmulOpC: Int32 = 1522
    static let matmulOpDescriptor: Int32 = 1523
    static let reductionOperator: Int32 = 1600
    static let reductionComputeType: Int32 = 1601
    static let reductionOpX: Int32 = 1610
    static let reductionOpY: Int32 = 1611
    static let reductionOpDescriptor: Int32 = 1612
    static let sdpaQ: Int32 = 2800
    static let sdpaK: Int32 = 2801
    static let sdpaV: Int32 = 2802
    static let sdpaO: Int32 = 2803
    static let sdpaScale: Int32 = 2805

    // cudnnBackendHeurMode_t
    static let heuristicsModeA: Int32 = 3
    static let heuristicsModeFallback: Int32 = 2
}
