/// The parts of a SentencePiece model file (`spiece.model`, a `ModelProto` protobuf) that encoding needs:
/// the pieces with their scores and types, the trainer's special ids and flags, and the normalizer spec
/// with its precompiled character map. Field numbers follow google/sentencepiece's
/// `sentencepiece_model.proto`; unknown fields are skipped, absent ones take the proto2 defaults.
public struct SentencePieceModel: Sendable {
    /// `ModelProto.SentencePiece.Type`.
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public struct Piece: Sendable, Equatable {
        public var text: String
        public var score: Float
        public var type: PieceType
    }

    public var pieces: [Piece] = []
    /// `TrainerSpec.model_type`: 1 unigram, 2 BPE, 3 word, 4 char.
    public var modelType = 1
    public var unkID = 0, bosID = 1, eosID = 2, padID = -1
    public var byteFallback = false
    public var treatWhitespaceAsSuffix = false
    /// `NormalizerSpec`: the rule name ("nmt_nfkc" for T5), the compiled rules, and the whitespace flags.
    public var normalizerName = ""
    public var precompiledCharsmap: [UInt8] = []
    public var addDummyPrefix = true
    public var removeExtraWhitespaces = true
    public var escapeWhitespaces = true

    /// Parses the bytes of a `.model` file.
    public init(bytes: [UInt8]) throws(TokenizerError) {
        var reader = ProtobufReader(bytes)
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1:
                try reader.expect(wireType, 2, field: "ModelProto.pieces")
                pieces.append(try Self.parsePiece(bytes, try reader.lengthDelimited()))
            case 2:
                try reader.expect(wireType, 2, field: "ModelProto.trainer_spec")
                try parseTrainerSpec(bytes, try reader.lengthDelimited())
            case 3:
                try reader.expect(wireType, 2, field: "ModelProto.normalizer_spec")
                try parseNormalizerSpec(bytes, try reader.lengthDelimited())
            default:
                try reader.skip(wireType: wireType)
            }
        }
        guard !pieces.isEmpty else {
            throw TokenizerError("the SentencePiece model has no pieces; is the file a spiece.model?")
        }
        guard pieces.indices.contains(unkID), pieces[unkID].type == .unknown else {
            throw TokenizerError("the SentencePiece model's unk_id \(unkID) does not name its <unk> piece")
        }
    }

    private static func parsePiece(_ bytes: [UInt8], _ range: Range<Int>) throws(TokenizerError) -> Piece {
        var reader = ProtobufReader(bytes, range: range)
        var piece = Piece(text: "", score: 0, type: .normal)
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1:
                try reader.expect(wireType, 2, field: "SentencePiece.piece")
                piece.text = try reader.string()
            case 2:
                try reader.expect(wireType, 5, field: "SentencePiece.score")
                piece.score = try reader.float()
            case 3:
                try reader.expect(wireType, 0, field: "SentencePiece.type")
                let raw = try reader.int32()
                guard let type = PieceType(rawValue: raw) else {
                    throw TokenizerError("not a valid SentencePiece model: piece type \(raw) is unknown")
                }
                piece.type = type
            default:
                try reader.skip(wireType: wireType)
            }
        }
        guard !piece.text.isEmpty else { throw TokenizerError("not a valid SentencePiece model: a piece is empty") }
        return piece
    }

    private mutating func parseTrainerSpec(_ bytes: [UInt8], _ range: Range<Int>) throws(TokenizerError) {
        var reader = ProtobufReader(bytes, range: range)
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (3, 0): modelType = try reader.int32()
            case (24, 0): treatWhitespaceAsSuffix = try reader.bool()
            case (35, 0): byteFallback = try reader.bool()
            case (40, 0): unkID = try reader.int32()
            case (41, 0): bosID = try reader.int32()
            case (42, 0): eosID = try reader.int32()
            case (43, 0): padID = try reader.int32()
            default: try reader.skip(wireType: wireType)
            }
        }
    }

    private mutating func parseNormalizerSpec(_ bytes: [UInt8], _ range: Range<Int>) throws(TokenizerError) {
        var reader = ProtobufReader(bytes, range: range)
        while let (number, wireType) = try reader.nextField() {
            switch (number, wireType) {
            case (1, 2): normalizerName = try reader.string()
            case (2, 2): precompiledCharsmap = Array(bytes[try reader.lengthDelimited()])
            case (3, 0): addDummyPrefix = try reader.bool()
            case (4, 0): removeExtraWhitespaces = try reader.bool()
            case (5, 0): escapeWhitespaces = try reader.bool()
            default: try reader.skip(wireType: wireType)
            }
        }
    }
}
