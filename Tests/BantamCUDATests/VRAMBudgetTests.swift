import BantamCore
import BantamCUDA
import Testing

@Suite struct VRAMBudgetTests {
    static let GiB = 1 << 30
    static let MiB = 1 << 20

    @Test func parsesSizes() throws {
        let cases: [(String, VRAMBudget)] = [
            ("8G", .bytes(8 * Self.GiB)), ("8g", .bytes(8 * Self.GiB)), ("8GB", .bytes(8 * Self.GiB)),
            ("8GiB", .bytes(8 * Self.GiB)), ("8gib", .bytes(8 * Self.GiB)), (" 8G ", .bytes(8 * Self.GiB)),
            ("512M", .bytes(512 * Self.MiB)), ("512MB", .bytes(512 * Self.MiB)), ("1.5G", .bytes(3 * Self.GiB / 2)),
            ("64K", .bytes(65536)), ("1T", .bytes(1 << 40)), ("1024", .bytes(1024)), ("1024B", .bytes(1024)),
            ("-1G", .allBut(Self.GiB)), ("-512M", .allBut(512 * Self.MiB)), ("-0.5G", .allBut(Self.GiB / 2)),
            ("90%", .percent(90)), ("100%", .percent(100)), ("12.5%", .percent(12.5)),
        ]
        for (text, expected) in cases {
            #expect(try VRAMBudget.parse(text) == expected, "\(text)")
        }
    }

    @Test func rejectsNonsense() {
        for text in ["", " ", "G", "8X", "8GG", "-", "--1G", "0", "0G", "0%", "101%", "-5%", "1.2.3G", "8 G", "abc", "1e3G", "G8", "0.0000001K"] {
            do {
                let parsed = try VRAMBudget.parse(text)
                Issue.record("'\(text)' parsed as \(parsed)")
            } catch let error as TensorError {
                #expect(error.description.contains("--vram"), "\(text): \(error)")
                #expect(!error.description.contains("\n"))
            } catch {
                Issue.record("'\(text)': unexpected \(error)")
            }
        }
    }

    @Test func resolvesAgainstTheGPU() throws {
        let total = 80 * Self.GiB
        #expect(try VRAMBudget.bytes(8 * Self.GiB).resolve(totalBytes: total) == 8 * Self.GiB)
        #expect(try VRAMBudget.allBut(Self.GiB).resolve(totalBytes: total) == 79 * Self.GiB)
        #expect(try VRAMBudget.percent(50).resolve(totalBytes: total) == 40 * Self.GiB)
        #expect(throws: TensorError.self) { try VRAMBudget.bytes(81 * Self.GiB).resolve(totalBytes: total) }
        #expect(throws: TensorError.self) { try VRAMBudget.allBut(80 * Self.GiB).resolve(totalBytes: total) }
        do {
            _ = try VRAMBudget.parse("100G").resolve(totalBytes: total)
        } catch let error as TensorError {
            #expect(error.description == "--vram 100.00 GiB is more than the GPU's 80.00 GiB; use a smaller size or -N to leave N free")
        }
    }
}
