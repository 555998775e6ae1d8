import BantamCore
import Testing

/// Runs `body` and checks that it throws a `TensorError` whose one-line description contains every string
/// in `fragments` (so messages keep naming the op, the shapes and the bad argument).
func expectTensorError(_ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
                       _ body: () throws -> Any) {
    do {
        let result = try body()
        Issue.record("expected a TensorError containing \(fragments), got a result: \(result)", sourceLocation: sourceLocation)
    } catch let error as TensorError {
        let message = error.description
        #expect(!message.contains("\n"), "message is not one line: \(message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(message.contains(fragment), "\"\(message)\" does not mention \"\(fragment)\"",
                    sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a TensorError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// Row-major multi-indices of `shape`, in order.
func allIndices(_ shape: [Int]) -> [[Int]] {
    let count = shape.reduce(1, *)
    return (0..<count).map { unravel($0, shape) }
}

func unravel(_ flat: Int, _ shape: [Int]) -> [Int] {
    var rest = flat
    var index = [Int](repeating: 0, count: shape.count)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}

func ravel(_ index: [Int], _ shape: [Int]) -> Int {
    zip(index, shape).reduce(0) { $0 * $1.1 + $1.0 }
}
