/// The path rules of an archive entry: relative, no `..`, no NUL, UTF-8; `.` and empty components
/// are dropped, so `./data//a.txt` and `data/a.txt` name the same file.
enum ArchivePath {
    /// Longest path accepted, in bytes.
    static let maxBytes = 4096

    /// Returns the normalised path, or `nil` for the archive root itself (`.`, `./`).
    /// - Throws: `invalid_archive` naming the path and the rule it breaks.
    static func normalize(_ raw: String) throws(RegistryError) -> String? {
        guard raw.utf8.count <= maxBytes else { throw .archive("entry path is longer than \(maxBytes) bytes") }
        guard !raw.utf8.contains(0) else { throw .archive("entry path \(quoted(raw)) contains a NUL byte") }
        guard !raw.hasPrefix("/") else { throw .archive("entry \(quoted(raw)) has an absolute path") }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw .archive("entry \(quoted(raw)) leaves the archive with '..'") }
            parts.append(part)
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// Decodes a header field or pax value as UTF-8.
    static func decode(_ bytes: some Collection<UInt8>) throws(RegistryError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .archive("entry path is not valid UTF-8")
        }
        return text
    }

    /// `path` in quotes, shortened for a message.
    static func quoted(_ path: String) -> String {
        let shown = path.count > 120 ? String(path.prefix(120)) + "…" : path
        return "\"\(shown)\""
    }
}
