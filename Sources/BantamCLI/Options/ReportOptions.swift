import ArgumentParser

/// How a command reports: for people (default) or one JSON document for machines.
struct ReportOptions: ParsableArguments {
    @Flag(name: .long, help: "Print one JSON document instead of text.")
    var json = false

    @Flag(name: .long, help: "Leave out the per-tensor list.")
    var summary = false
}
