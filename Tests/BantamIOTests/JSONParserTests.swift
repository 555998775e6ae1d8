import BantamIO
import BantamJSON
import Foundation
import Testing

/// The strict JSON parser behind headers and indexes.
@Suite struct JSONParserTests {
    func parse(_ text: String) throws(JSONParseError) -> JSONValue { try JSONParser.parse(text) }

    @Test func validDocuments() throws {
        #expect(try parse(" {\"a\": [1, -2, 0, -0, 1.5, 2e3, -1E-2, true, false, null, \"x\"]} ") == .object({
            var o = JSONObject()
            o.insert("a", .array([.integer(1), .integer(-2), .integer(0), .integer(0), .number("1.5"), .number("2e3"),
                                  .number("-1E-2"), .bool(true), .bool(false), .null, .string("x")]))
            return o
        }()))
        #expect(try parse("9223372036854775807") == .integer(Int.max))
        #expect(try parse("-9223372036854775808") == .integer(Int.min))
        #expect(try parse("9223372036854775808") == .number("9223372036854775808"), "beyond Int: kept as text")
        #expect(try parse("18446744073709551616") == .number("18446744073709551616"))
        #expect(try parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u4E2D\\ud83d\\ude42\"") == .string("\"\\/\u{8}\u{C}\n\r\tAé中🙂"))
        #expect(try parse("\"raw ünï 🙂\"") == .string("raw ünï 🙂"))
        #expect(try parse("\"nul\\u0000inside\"") == .string("nul\u{0}inside"))
        let ordered = try #require(try parse("{\"z\": 1, \"a\": 2, \"m\": 3}").objectValue)
        #expect(ordered.keys == ["z", "a", "m"], "objects keep file order")
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .object(JSONObject()))
        let nested = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try parse(nested) }
    }

    @Test(arguments: [
        ("", "expected a value"), ("01", "leading zeros"), ("1.", "digits after '.'"), (".5", "expected a value"),
        ("-", "digits after '-'"), ("1e", "exponent"), ("+1", "expected a value"), ("[1,]", "expected a value"),
        ("{\"a\":1,}", "expected a string key"), ("{'a':1}", "expected a string key"), ("{\"a\" 1}", "expected ':'"),
        ("[1 2]", "expected ',' or ']'"), ("\"abc", "unterminated string"), ("\"a\u{1}b\"", "raw control character"),
        ("\"\\x\"", "invalid escape"), ("\"\\u12zz\"", "not a hex digit"), ("\"\\u12", "truncated \\u escape"), ("\"\\ud800\"", "unpaired surrogate"),
        ("\"\\udc00\"", "unpaired surrogate"), ("\"\\ud800\\u0041\"", "unpaired surrogate"), ("tru", "expected a value"),
        ("nul", "expected a value"), ("{} {}", "after the end"), ("NaN", "expected a value"), ("Infinity", "expected a value"),
    ])
    func invalidDocuments(_ text: String, _ message: String) {
        do throws(JSONParseError) {
            _ = try parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    @Test func errorsSayWhere() throws {
        do throws(JSONParseError) {
            _ = try parse("{\"w\": {\"shape\": [1, 2,, 3]}}")
            Issue.record("accepted")
        } catch {
            #expect(error.offset == 22)
            #expect(error.path == ["w", "shape"])
            #expect(error.description == "at byte 22: unexpected ',', expected a value (in 'w' > 'shape')")
        }
        do throws(JSONParseError) {
            _ = try parse("{\"a\": {\"k\": 1, \"k\": 2}}")
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .duplicateKey("k"))
            #expect(error.path == ["a"])
        }
        let deep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        #expect { try parse(deep) } throws: { ($0 as? JSONParseError)?.kind == .tooDeep }
        let bytes: [UInt8] = [0x22, 0x61, 0xC3, 0x28, 0x22]  // "a\xC3(" — a broken two-byte sequence
        #expect { try bytes.withUnsafeBytes { try JSONParser.parse($0) } } throws: {
            ($0 as? JSONParseError)?.kind == .invalidUTF8 && ($0 as? JSONParseError)?.offset == 2
        }
        // Overlong encodings, surrogates and values above U+10FFFF are not UTF-8.
        for bad: [UInt8] in [[0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            #expect { try bad.withUnsafeBytes { try JSONParser.parse($0) } } throws: { ($0 as? JSONParseError)?.kind == .invalidUTF8 }
        }
    }

    /// Keys that differ only in Unicode normalization are different keys (byte comparison, like Rust).
    @Test func keysCompareByBytes() throws {
        let object = try #require(try parse("{\"\u{E9}\": 1, \"e\u{301}\": 2}").objectValue)
        #expect(object.count == 2)
        #expect(object["\u{E9}"] == .integer(1))
        #expect(object["e\u{301}"] == .integer(2))
    }

    /// Large inputs parse in linear time: a header of 100k tensor entries and a 4 MB string of escapes.
    @Test func largeInputsAreLinear() throws {
        var header = "{"
        for i in 0..<100_000 {
            if i > 0 { header += "," }
            header += "\"model.layers.\(i).weight\":{\"dtype\":\"BF16\",\"shape\":[3072,3072],\"data_offsets\":[\(i * 18),\(i * 18 + 18)]}"
        }
        header += "}"
        let clock = ContinuousClock()
        let start = clock.now
        let object = try #require(try parse(header).objectValue)
        #expect(object.count == 100_000)
        let escaped = "\"" + String(repeating: "\\n\\u00e9", count: 500_000) + "\""
        #expect(try parse(escaped).stringValue?.count == 1_000_000)
        let elapsed = clock.now - start
        #expect(elapsed < .seconds(20), "took \(elapsed)")
    }
}
