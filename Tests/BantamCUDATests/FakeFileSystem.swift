import BantamCUDA

/// A file system made of a list of file paths; folders are the paths' prefixes.
struct FakeFileSystem: FileSystemProbe {
    let files: Set<String>
    let directories: [String: [String]]

    init(_ paths: [String]) {
        files = Set(paths)
        var dirs: [String: Set<String>] = [:]
        for path in paths {
            var parts = path.split(separator: "/").map(String.init)
            while !parts.isEmpty {
                let name = parts.removeLast()
                let parent = "/" + parts.joined(separator: "/")
                dirs[parent, default: []].insert(name)
            }
        }
        directories = dirs.mapValues { $0.sorted() }
    }

    func entries(of directory: String) -> [String]? {
        let key = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        return directories[key]
    }

    func fileExists(_ path: String) -> Bool { files.contains(path) }
}
