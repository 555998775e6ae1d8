import Testing
import BantamPipeline

/// The A1111/Forge "parameters" text.
@Suite struct A1111ParametersTests {
    /// Parses a parameters text the way A1111's `parse_generation_parameters` does: the last line holds
    /// the pairs when it has at least three `key: value`; a quoted value is a JSON string.
    static func parse(_ text: String) -> (prompt: String, negative: String, pairs: [(String, String)]) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let last = lines.removeLast()
        var pairs: [(String, String)] = []
        var rest = Substring(last)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " }
            guard let colon = rest.firstIndex(of: ":") else { break }
            let key = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...].drop { $0 == " " }
            var value = ""
            if rest.first == "\"" {
                var i = rest.index(after: rest.startIndex)
                while rest[i] != "\"" {
                    if rest[i] == "\\" {
                        i = rest.index(after: i)
                        switch rest[i] { case "n": value.append("\n"); case "t": value.append("\t"); default: value.append(rest[i]) }
                    } else { value.append(rest[i]) }
                    i = rest.index(after: i)
                }
                rest = rest[rest.index(after: i)...]
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            pairs.append((key, value))
            if rest.first == "," { rest = rest.dropFirst() }
        }
        var prompt = "", negative = "", inNegative = false
        for line in lines {
            var l = line
            if l.hasPrefix("Negative prompt:") { inNegative = true; l = String(l.dropFirst(16)).trimmingCharacters() }
            if inNegative { negative += (negative.isEmpty ? "" : "\n") + l } else { prompt += (prompt.isEmpty ? "" : "\n") + l }
        }
        return (prompt, negative, pairs)
    }

    @Test func forgeStyleFluxLine() {
        let p = A1111Parameters(prompt: "a cat", negativePrompt: "", pairs: [
            ("Steps", "20"), ("Sampler", "Euler"), ("Schedule type", "Simple"), ("CFG scale", A1111Parameters.number(1)),
            ("Distilled CFG Scale", A1111Parameters.number(3.5)), ("Seed", "42"), ("Size", "1024x1024"), ("Model", "flux1-dev")])
        #expect(p.text == "a cat\nSteps: 20, Sampler: Euler, Schedule type: Simple, CFG scale: 1, Distilled CFG Scale: 3.5, Seed: 42, Size: 1024x1024, Model: flux1-dev")
    }

    @Test func quotingAndRoundTrip() {
        #expect(A1111Parameters.quote("plain value") == "plain value")
        #expect(A1111Parameters.quote("a, b") == "\"a, b\"")
        #expect(A1111Parameters.quote("C:\\x \"y\"") == "\"C:\\\\x \\\"y\\\"\"")
        #expect(A1111Parameters.quote("two\nlines") == "\"two\\nlines\"")
        #expect(A1111Parameters.number(0.25) == "0.25" && A1111Parameters.number(28) == "28" && A1111Parameters.number(-1) == "-1")
        let p = A1111Parameters(prompt: "a city, at night\nsecond line", negativePrompt: "blurry, dark",
                                pairs: [("Steps", "4"), ("Seed", "7"), ("Model path", "/m/a, b:c.safetensors"), ("Size", "32x32")])
        let parsed = Self.parse(p.text)
        #expect(parsed.prompt == "a city, at night\nsecond line")
        #expect(parsed.negative == "blurry, dark")
        #expect(parsed.pairs.map(\.0) == ["Steps", "Seed", "Model path", "Size"])
        #expect(parsed.pairs.map(\.1) == ["4", "7", "/m/a, b:c.safetensors", "32x32"])
    }

    /// No negative-prompt line when there is none; like the web UIs, only the ends of the whole text are
    /// stripped.
    @Test func noNegativePromptLineWhenEmpty() {
        let p = A1111Parameters(prompt: "  x  ", pairs: [("Steps", "1"), ("Seed", "2"), ("Size", "16x16")])
        #expect(p.text == "x  \nSteps: 1, Seed: 2, Size: 16x16")
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
