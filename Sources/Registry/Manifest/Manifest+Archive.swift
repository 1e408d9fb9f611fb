import Sandbox

extension Manifest {
    /// The name of the manifest at the root of every archive.
    public static let fileName = "function.yaml"

    /// Checks the manifest against the archive it came in and picks the files its image keeps.
    ///
    /// - Returns: the module's bytes and the data files the manifest grants (a whole folder for a
    ///   grant ending in `/`), by path; files nobody may open are not kept.
    /// - Throws: `invalid_function` when `module` is missing or a granted path matches nothing.
    func select(from archive: FunctionArchive) throws(RegistryError) -> (module: [UInt8], files: [String: [UInt8]]) {
        guard let module = archive.files[self.module], self.module != Self.fileName else {
            let hint = archive.directories.contains(self.module) ? " (it is a directory)" : ""
            throw .function("key 'module': \"\(self.module)\" is not a file in the archive\(hint)")
        }
        var files: [String: [UInt8]] = [:]
        for grant in capabilities.files {
            if grant.hasSuffix("/") {
                let matches = archive.files.filter { $0.key.hasPrefix(grant) }
                guard !matches.isEmpty || archive.directories.contains(String(grant.dropLast())) else {
                    throw .function("key 'capabilities.files': \"\(grant)\" is not a folder in the archive")
                }
                files.merge(matches) { first, _ in first }
            } else {
                guard let bytes = archive.files[grant] else {
                    throw .function("key 'capabilities.files': \"\(grant)\" is not a file in the archive")
                }
                files[grant] = bytes
            }
        }
        return (module, files)
    }
}
