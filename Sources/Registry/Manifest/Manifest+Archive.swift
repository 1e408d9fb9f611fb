import Sandbox

extension Manifest {
    /// The name of the manifest at the root of every archive.
    public static let fileName = "function.yaml"
    /// The folder of files a platform runtime reads that the platform writes (`.faas/function.json`);
    /// an archive may not hold it.
    public static let runtimeFolder = ".faas/"

    /// Whether `path` is a script a runtime reads (`*.js`, `*.mjs`).
    static func isScript(_ path: String) -> Bool { path.hasSuffix(".js") || path.hasSuffix(".mjs") }

    /// Checks the manifest against the archive it came in and picks the files its image keeps.
    ///
    /// - Returns: the module's bytes and the data files the manifest grants (a whole folder for a
    ///   grant ending in `/`), by path; files nobody may open are not kept.
    /// - Throws: `invalid_function` when `module` is missing or a granted path matches nothing.
    ///   With a `runtime`, the module is empty and the files also hold every script of the archive
    ///   (`*.js`, `*.mjs`), which the runtime reads; `handler` must be one of them.
    func select(from archive: FunctionArchive) throws(RegistryError) -> (module: [UInt8], files: [String: [UInt8]]) {
        var files: [String: [UInt8]] = [:]
        let module: [UInt8]
        if runtime != nil {
            let handler = self.handler ?? ""
            guard archive.files[handler] != nil else {
                let hint = archive.directories.contains(handler) ? " (it is a directory)" : ""
                throw .function("key 'handler': \"\(handler)\" is not a file in the archive\(hint)")
            }
            if let reserved = archive.files.keys.first(where: { $0.hasPrefix(Self.runtimeFolder) }) {
                throw .function("\"\(reserved)\": the folder \(Self.runtimeFolder) is the platform's")
            }
            files = archive.files.filter { Self.isScript($0.key) }
            module = []
        } else {
            guard let found = archive.files[self.module], self.module != Self.fileName else {
                let hint = archive.directories.contains(self.module) ? " (it is a directory)" : ""
                throw .function("key 'module': \"\(self.module)\" is not a file in the archive\(hint)")
            }
            module = found
        }
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
