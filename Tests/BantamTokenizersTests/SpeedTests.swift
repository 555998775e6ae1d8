import BantamTestSupport
import BantamTokenizers
import Testing

/// Tokenizing is not on the critical path, but a server tokenizes every request: 1,000 prompts (fresh
/// tokenizers, so the word caches start cold) must take well under a second each in release builds.
@Suite struct SpeedTests {
    static let words = ("a photo of the cat dog city night jungle astronaut color palette muted cold warm red blue "
        + "green yellow square circle cinematic lighting ultra-detailed trending on artstation bokeh portrait "
        + "of a woman with long hair in a flowing dress standing in a field of sunflowers at golden hour, "
        + "東京の夜景 naïve café 🌃 8k 35mm f/1.8 don't it's").split(separator: " ").map(String.init)

    @Test func thousandPrompts() throws {
        var rng = TestRNG()
        let prompts = (0..<1000).map { _ in
            (0..<(8 + Int(rng.next() % 40))).map { _ in Self.words[Int(rng.next() % UInt64(Self.words.count))] }
                .joined(separator: " ")
        }
        let clock = ContinuousClock()
        var start = clock.now
        let clip = try TokenizerFixtures.clipFull()
        let clipLoad = clock.now - start
        start = clock.now
        var total = 0
        for prompt in prompts { total += clip.encode(prompt).count }
        let clipTime = clock.now - start
        start = clock.now
        let t5 = try T5Tokenizer(sentencePieceModel: TokenizerFixtures.t5Model())
        let t5Load = clock.now - start
        start = clock.now
        for prompt in prompts { total += t5.encode(prompt, length: 512).count }
        let t5Time = clock.now - start
        #expect(total == 1000 * (77 + 512))
        print("1000 prompts: CLIP-L \(clipTime) (load from merges.txt \(clipLoad)), T5 \(t5Time) (load \(t5Load))")
        #if DEBUG
        let limit = Duration.seconds(30)   // debug builds are ~20x slower; the release limit is the real check
        #else
        let limit = Duration.seconds(1)
        #endif
        #expect(clipTime < limit && t5Time < limit)
    }
}
