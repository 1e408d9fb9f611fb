/// The CAP-Files a function is granted: the image's files whose paths the manifest's `capabilities.files`
/// lists (a trailing `/` grants a whole folder). Made once per image and shared by its compartments.
struct CapFileSet: Sendable {
    private let files: [String: CapFile]
    private let directories: Set<String>

    init(files: [String: [UInt8]], grants: [String]) {
        let grants = grants.map { grant in
            (prefix: Self.normalize(grant) ?? "", isFolder: grant.hasSuffix("/") || Self.normalize(grant) == "")
        }
        var granted: [String: CapFile] = [:]
        var directories: Set<String> = []
        for (rawPath, bytes) in files {
            guard let path = Self.normalize(rawPath), !path.isEmpty else { continue }
            let isGranted = grants.contains { grant in
                grant.isFolder
                    ? (grant.prefix.isEmpty || path.hasPrefix(grant.prefix + "/")) : path == grant.prefix
            }
            guard isGranted else { continue }
            granted[path] = CapFile(path: path, bytes: bytes)
            var components = path.split(separator: "/").dropLast()
            while !components.isEmpty {
                directories.insert(components.joined(separator: "/"))
                components = components.dropLast()
            }
        }
        self.files = granted
        self.directories = directories
    }

    var isEmpty: Bool { files.isEmpty }
    var count: Int { files.count }

    /// The granted file at `path` (absolute or relative to `/`), or nil.
    func file(at path: String) -> CapFile? {
        guard let path = Self.normalize(path) else { return nil }
        return files[path]
    }

    /// Whether `path` names a folder holding granted files (the root included).
    func isDirectory(_ path: String) -> Bool {
        guard let path = Self.normalize(path) else { return false }
        return path.isEmpty || directories.contains(path)
    }

    /// `path` without a leading `/`, `.` components and repeated slashes; nil if it climbs with `..`.
    static func normalize(_ path: String) -> String? {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." { return nil }
            components.append(component)
        }
        return components.joined(separator: "/")
    }
}
