/// WASI preview 1, implemented in the monitor's own checked layer (the Intravisor's small TCB): every
/// pointer is checked against the data capability before use, so a bad pointer is a `bounds` fault that ends
/// the invocation, never a host crash. stdin is the request body, stdout the response body, stderr the log.
extension HostcallContext {
    static let maxIOVectors: UInt32 = 1024

    // MARK: Arguments and environment

    func wasiArguments() -> WASIStrings {
        if let arguments { return arguments }
        let built = WASIStrings([image.descriptor.function])
        arguments = built
        return built
    }

    func wasiEnvironment() -> WASIStrings {
        if let environment { return environment }
        let descriptor = image.descriptor
        var entries = [
            "REQUEST_METHOD=\(request.method)", "PATH_INFO=\(request.path)", "QUERY_STRING=\(request.query)",
            "CONTENT_TYPE=\(request.headers.first { $0.name.lowercased() == "content-type" }?.value ?? "")",
            "CONTENT_LENGTH=\(request.body.count)",
        ]
        for header in request.headers {
            let name = String(header.name.uppercased().map { $0 == "-" ? "_" : $0 })
            entries.append("HTTP_\(name)=\(header.value)")
        }
        entries.append("FAAS_FUNCTION=\(descriptor.function)")
        entries.append("FAAS_VERSION=\(descriptor.version)")
        entries.append("FAAS_ACTIVATION=\(activation)")
        for field in descriptor.env { entries.append("\(field.name)=\(field.value)") }
        let built = WASIStrings(entries)
        environment = built
        return built
    }

    func stringsSizes(_ strings: WASIStrings, countPointer: UInt32, sizePointer: UInt32) throws(HostcallInterruption)
        -> Int32
    {
        try checkDeadline()
        try storeUInt32(UInt32(strings.count), at: countPointer)
        try storeUInt32(UInt32(strings.buffer.count), at: sizePointer)
        return WASIErrno.success
    }

    func stringsGet(_ strings: WASIStrings, pointers: UInt32, buffer: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        // Both ranges are checked before either is written.
        _ = try derive(pointers, UInt64(strings.count) * 4, .store)
        _ = try derive(buffer, UInt64(strings.buffer.count), .store)
        try store(strings.buffer, at: buffer)
        try write(pointers, UInt64(strings.count) * 4) { out in
            for (index, offset) in strings.offsets.enumerated() {
                out.storeBytes(of: (buffer &+ offset).littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return WASIErrno.success
    }

    // MARK: Descriptors

    /// Checks every iovec of `(iovs, count)` for `permissions` and returns them; nothing is copied yet.
    private func vectors(_ iovs: UInt32, _ count: UInt32, _ permissions: Permissions) throws(HostcallInterruption)
        -> [(address: UInt32, length: UInt32)]?
    {
        guard count <= Self.maxIOVectors else { return nil }
        let raw = try read(iovs, UInt64(count) * 8) { buffer in
            (0..<Int(count)).map { index in
                (
                    address: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 8, as: UInt32.self)),
                    length: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index * 8 + 4, as: UInt32.self))
                )
            }
        }
        for vector in raw { _ = try derive(vector.address, UInt64(vector.length), permissions) }
        return raw
    }

    func fdWrite(fd: Int32, iovs: UInt32, count: UInt32, written: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard fd == WASIFiles.standardOutput || fd == WASIFiles.standardError else {
            return isOpen(fd) ? WASIErrno.notcapable : WASIErrno.badf
        }
        _ = try derive(written, 4, .store)
        guard let vectors = try vectors(iovs, count, .load) else { return WASIErrno.inval }
        var total: UInt64 = 0
        for vector in vectors { total += UInt64(vector.length) }
        guard total <= UInt64(Int32.max) else { return WASIErrno.inval }
        if fd == WASIFiles.standardOutput {
            let limit = image.descriptor.limits.maxResponseBytes
            guard total <= UInt64(limit - body.count) else { throw .responseTooLarge(limit: limit) }
            for vector in vectors { try read(vector.address, UInt64(vector.length)) { body.append(contentsOf: $0) } }
        } else {
            for vector in vectors { try read(vector.address, UInt64(vector.length)) { appendLog($0) } }
        }
        try storeUInt32(UInt32(total), at: written)
        return WASIErrno.success
    }

    func fdRead(fd: Int32, iovs: UInt32, count: UInt32, read readPointer: UInt32, at offset: UInt64? = nil)
        throws(HostcallInterruption) -> Int32
    {
        try checkDeadline()
        _ = try derive(readPointer, 4, .store)
        let source: [UInt8]
        let sourceStart: Int
        var position: UInt64
        if fd == WASIFiles.standardInput {
            if offset != nil { return WASIErrno.spipe }
            source = request.body
            sourceStart = 0
            position = UInt64(stdinOffset)
        } else if let open = openFiles[fd] {
            source = open.file.bytes
            sourceStart = 0
            position = offset ?? open.position
        } else {
            return fd == WASIFiles.root ? WASIErrno.isdir : (isOpen(fd) ? WASIErrno.notcapable : WASIErrno.badf)
        }
        let length = UInt64(source.count)
        guard let vectors = try vectors(iovs, count, .store) else { return WASIErrno.inval }
        var total: UInt64 = 0
        for vector in vectors {
            guard position < length else { break }
            let count = min(UInt64(vector.length), length - position)
            let start = sourceStart + Int(position)
            try write(vector.address, count) { buffer in
                source.withUnsafeBytes { all in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[start..<(start + Int(count))]))
                }
            }
            position += count
            total += count
        }
        if fd == WASIFiles.standardInput {
            stdinOffset = Int(position)
        } else if offset == nil {
            openFiles[fd]!.position = position
        }
        try storeUInt32(UInt32(clamping: total), at: readPointer)
        return WASIErrno.success
    }

    func fdSeek(fd: Int32, offset: Int64, whence: Int32, result: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard let open = openFiles[fd] else { return fd <= WASIFiles.root ? WASIErrno.spipe : WASIErrno.badf }
        let base: Int64
        switch whence {
        case 0: base = 0
        case 1: base = Int64(open.position)
        case 2: base = Int64(open.file.bytes.count)
        default: return WASIErrno.inval
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { return WASIErrno.inval }
        try storeUInt64(UInt64(target), at: result)
        openFiles[fd]!.position = UInt64(target)
        return WASIErrno.success
    }

    func fdTell(fd: Int32, result: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard let open = openFiles[fd] else { return fd <= WASIFiles.root ? WASIErrno.spipe : WASIErrno.badf }
        try storeUInt64(open.position, at: result)
        return WASIErrno.success
    }

    func fdClose(fd: Int32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        if openFiles.removeValue(forKey: fd) != nil { return WASIErrno.success }
        return isOpen(fd) ? WASIErrno.success : WASIErrno.badf
    }

    func fdFdstatGet(fd: Int32, result: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        let type: UInt8
        let rights: UInt64
        var inheriting: UInt64 = 0
        switch fd {
        case WASIFiles.standardInput: (type, rights) = (WASIFileType.unknown, WASIRights.fdRead | WASIRights.pollFdReadwrite)
        case WASIFiles.standardOutput, WASIFiles.standardError:
            (type, rights) = (WASIFileType.unknown, WASIRights.fdWrite | WASIRights.pollFdReadwrite)
        case WASIFiles.root where hasRoot:
            (type, rights, inheriting) = (WASIFileType.directory, WASIRights.directory, WASIRights.file)
        default:
            guard openFiles[fd] != nil else { return WASIErrno.badf }
            (type, rights) = (WASIFileType.regularFile, WASIRights.file)
        }
        try write(result, 24) { out in
            out.initializeMemory(as: UInt8.self, repeating: 0)
            out.storeBytes(of: type, toByteOffset: 0, as: UInt8.self)
            out.storeBytes(of: rights.littleEndian, toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: inheriting.littleEndian, toByteOffset: 16, as: UInt64.self)
        }
        return WASIErrno.success
    }

    func fdFilestatGet(fd: Int32, result: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        switch fd {
        case WASIFiles.standardInput, WASIFiles.standardOutput, WASIFiles.standardError:
            try storeFilestat(type: WASIFileType.characterDevice, size: 0, inode: UInt64(fd), at: result)
        case WASIFiles.root where hasRoot:
            try storeFilestat(type: WASIFileType.directory, size: 0, inode: UInt64(fd), at: result)
        default:
            guard let open = openFiles[fd] else { return WASIErrno.badf }
            try storeFilestat(type: WASIFileType.regularFile, size: UInt64(open.file.bytes.count), inode: UInt64(fd), at: result)
        }
        return WASIErrno.success
    }

    func fdPrestatGet(fd: Int32, result: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard fd == WASIFiles.root, hasRoot else { return WASIErrno.badf }
        try write(result, 8) { out in
            out.initializeMemory(as: UInt8.self, repeating: 0)
            out.storeBytes(of: UInt32(1).littleEndian, toByteOffset: 4, as: UInt32.self)  // "/"
        }
        return WASIErrno.success
    }

    func fdPrestatDirName(fd: Int32, path: UInt32, length: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard fd == WASIFiles.root, hasRoot else { return WASIErrno.badf }
        guard length >= 1 else { return WASIErrno.nametoolong }
        try store(CollectionOfOne(UInt8(ascii: "/")), at: path)
        return WASIErrno.success
    }

    func pathOpen(
        fd: Int32, path: UInt32, pathLength: UInt32, openFlags: Int32, rightsBase: UInt64, descriptorFlags: Int32,
        result: UInt32
    ) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        let name = try string(path, pathLength)
        _ = try derive(result, 4, .store)
        guard fd == WASIFiles.root, hasRoot else { return openFiles[fd] != nil ? WASIErrno.notdir : WASIErrno.badf }
        // O_CREAT, O_EXCL, O_TRUNC, any write right, or append/sync flags would change a file: refused.
        guard openFlags & (1 | 4 | 8) == 0, rightsBase & WASIRights.mutating == 0, descriptorFlags & ~0x4 == 0 else {
            return WASIErrno.notcapable
        }
        guard let file = image.files.file(at: name) else {
            return image.files.isDirectory(name) ? WASIErrno.isdir : WASIErrno.noent
        }
        guard openFlags & 2 == 0 else { return WASIErrno.notdir }
        guard openFiles.count < WASIFiles.maxOpenFiles else { return WASIErrno.mfile }
        let descriptor = nextFileDescriptor
        nextFileDescriptor += 1
        openFiles[descriptor] = WASIOpenFile(file: file, position: 0)
        try storeUInt32(UInt32(descriptor), at: result)
        return WASIErrno.success
    }

    func pathFilestatGet(fd: Int32, path: UInt32, pathLength: UInt32, result: UInt32) throws(HostcallInterruption)
        -> Int32
    {
        try checkDeadline()
        let name = try string(path, pathLength)
        guard fd == WASIFiles.root, hasRoot else { return WASIErrno.badf }
        if let file = image.files.file(at: name) {
            try storeFilestat(type: WASIFileType.regularFile, size: UInt64(file.bytes.count), inode: 0, at: result)
        } else if image.files.isDirectory(name) {
            try storeFilestat(type: WASIFileType.directory, size: 0, inode: 0, at: result)
        } else {
            return WASIErrno.noent
        }
        return WASIErrno.success
    }

    // MARK: Clocks, random, process

    func clockTimeGet(id: Int32, result: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard image.descriptor.grants.clock else { return WASIErrno.notcapable }
        switch id {
        case 0: try storeUInt64(HostClock.realtimeNanoseconds(), at: result)
        case 1, 2, 3: try storeUInt64(HostClock.monotonicNanoseconds(), at: result)
        default: return WASIErrno.inval
        }
        return WASIErrno.success
    }

    func clockResGet(id: Int32, result: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard image.descriptor.grants.clock else { return WASIErrno.notcapable }
        guard (0...3).contains(id) else { return WASIErrno.inval }
        try storeUInt64(HostClock.resolution, at: result)
        return WASIErrno.success
    }

    func randomGet(buffer: UInt32, length: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard image.descriptor.grants.random else { return WASIErrno.notcapable }
        try write(buffer, UInt64(length)) { HostRandom.fill($0) }
        return WASIErrno.success
    }

    func procExit(_ status: Int32) throws(HostcallInterruption) {
        throw .exit(status)
    }

    func unimplemented() throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        return WASIErrno.nosys
    }

    // MARK: Helpers

    private var hasRoot: Bool { !image.files.isEmpty }

    private func isOpen(_ fd: Int32) -> Bool {
        (0...2).contains(fd) || (fd == WASIFiles.root && hasRoot) || openFiles[fd] != nil
    }

    private func storeFilestat(type: UInt8, size: UInt64, inode: UInt64, at address: UInt32) throws(HostcallInterruption) {
        try write(address, 64) { out in
            out.initializeMemory(as: UInt8.self, repeating: 0)
            out.storeBytes(of: inode.littleEndian, toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: type, toByteOffset: 16, as: UInt8.self)
            out.storeBytes(of: UInt64(1).littleEndian, toByteOffset: 24, as: UInt64.self)
            out.storeBytes(of: size.littleEndian, toByteOffset: 32, as: UInt64.self)
        }
    }
}
