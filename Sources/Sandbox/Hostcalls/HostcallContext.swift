import WasmKit

/// The monitor's side of one compartment: what its hostcalls read and write. One per compartment, used only
/// on the thread running the compartment; the per-invocation part is reset by `begin`.
///
/// Every guest pointer range goes through `GuestMemory`-style checks here: it is turned into a capability
/// derived from the compartment's data capability (which spans exactly its linear memory) and checked before
/// any byte is touched, so a bad pointer is a `bounds` fault, never a host crash.
final class HostcallContext {
    let image: CompartmentImage
    let services: HostServices

    /// The compartment's linear memory, bound right after instantiation.
    var memory: Memory?
    /// The data capability: load/store over `[0, memoryBytes)`. Re-derived by the monitor when memory grows.
    private(set) var dataCapability: Capability
    private var memoryBytes: Int = -1

    // MARK: Per invocation
    var request = InvocationRequest()
    var activation = ""
    var deadline = ContinuousClock.Instant.now
    var status = 200
    var headers: [HTTPField] = []
    var headerBytes = 0
    var body: [UInt8] = []
    /// The running invocation's log (at creation, the log of `iv_init`).
    var log = InvocationLog()
    var stdinOffset = 0
    /// Outbound HTTP requests made in this invocation (at most ``maxHTTPRequests``).
    var httpRequests = 0
    var table = CapabilityTable()
    /// WASI descriptors of opened CAP-Files (fd >= `WASIFiles.firstFileDescriptor`).
    var openFiles: [Int32: WASIOpenFile] = [:]
    var nextFileDescriptor = WASIFiles.firstFileDescriptor
    /// WASI environment and arguments, built on first use in an invocation.
    var environment: WASIStrings?
    var arguments: WASIStrings?

    static let maxHeaders = 100
    static let maxHeaderBytes = 64 << 10
    static let maxHTTPRequests = 16
    /// The most bytes of an outbound request or response body (SPEC: 6 MiB each).
    static let maxOutboundBodyBytes = 6 << 20

    init(image: CompartmentImage, services: HostServices) {
        self.image = image
        self.services = services
        self.dataCapability = Capability.root(base: 0, length: 0, permissions: .data)
    }

    /// Resets the per-invocation state and installs `request`.
    func begin(_ request: InvocationRequest, context: InvocationContext) {
        self.request = request
        activation = context.activation
        deadline = context.deadline
        status = 200
        headers = []
        headerBytes = 0
        body = []
        log = context.log
        stdinOffset = 0
        httpRequests = 0
        table.removeAll()
        if !openFiles.isEmpty { openFiles.removeAll() }
        nextFileDescriptor = WASIFiles.firstFileDescriptor
        environment = nil
        arguments = nil
    }

    /// Releases what the last invocation left behind (its request body, capabilities, descriptors).
    func end() {
        request = InvocationRequest()
        table.removeAll()
        if !openFiles.isEmpty { openFiles.removeAll() }
        environment = nil
        arguments = nil
    }

    // MARK: Limits

    /// Stops the guest when the deadline passed; every hostcall calls this first.
    @inline(__always)
    func checkDeadline() throws(HostcallInterruption) {
        if ContinuousClock.now > deadline { throw .deadline }
    }

    // MARK: Guest memory

    /// The data capability for the memory as it is now (it may have grown since the last hostcall).
    @inline(__always)
    private func currentData() throws(HostcallInterruption) -> (Memory, Capability) {
        guard let memory else {
            throw .fault(CapabilityFault(.tag, "the compartment has no memory bound yet"))
        }
        let bytes = memory.byteCount
        if bytes != memoryBytes {
            memoryBytes = bytes
            dataCapability = Capability.root(base: 0, length: UInt64(bytes), permissions: .data)
        }
        return (memory, dataCapability)
    }

    /// Derives the capability for `[address, address + count)` with `permissions` from the data capability.
    @inline(__always)
    func derive(_ address: UInt32, _ count: UInt64, _ permissions: Permissions) throws(HostcallInterruption) -> (
        Memory, Capability
    ) {
        let (memory, data) = try currentData()
        do {
            let capability = try data.restricted(offset: UInt64(address), length: count, permissions: permissions)
            try capability.checked(address: capability.base, length: capability.length, needs: permissions)
            return (memory, capability)
        } catch {
            throw .fault(error)
        }
    }

    /// Calls `body` with the guest bytes `[address, address + count)`, after the capability check.
    @inline(__always)
    func read<T>(_ address: UInt32, _ count: UInt64, _ body: (UnsafeRawBufferPointer) -> T)
        throws(HostcallInterruption) -> T
    {
        let (memory, capability) = try derive(address, count, .load)
        if capability.length == 0 { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return memory.withUnsafeBufferPointer(offset: UInt(capability.base), count: Int(capability.length), body)
    }

    /// Calls `body` with the writable guest bytes `[address, address + count)`, after the capability check.
    @inline(__always)
    func write<T>(_ address: UInt32, _ count: UInt64, _ body: (UnsafeMutableRawBufferPointer) -> T)
        throws(HostcallInterruption) -> T
    {
        let (memory, capability) = try derive(address, count, .store)
        if capability.length == 0 { return body(UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
        return memory.withUnsafeMutableBufferPointer(
            offset: UInt(capability.base), count: Int(capability.length), body)
    }

    /// Copies guest bytes out.
    func bytes(_ address: UInt32, _ count: UInt32) throws(HostcallInterruption) -> [UInt8] {
        try read(address, UInt64(count)) { Array($0.bindMemory(to: UInt8.self)) }
    }

    /// Copies `source` into guest memory at `address`.
    func store<C: Collection<UInt8>>(_ source: C, at address: UInt32) throws(HostcallInterruption) {
        try write(address, UInt64(source.count)) { buffer in
            buffer.copyBytes(from: source)
        }
    }

    func loadUInt32(_ address: UInt32) throws(HostcallInterruption) -> UInt32 {
        try read(address, 4) { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }

    func storeUInt32(_ value: UInt32, at address: UInt32) throws(HostcallInterruption) {
        try write(address, 4) { $0.storeBytes(of: value.littleEndian, as: UInt32.self) }
    }

    func storeUInt64(_ value: UInt64, at address: UInt32) throws(HostcallInterruption) {
        try write(address, 8) { $0.storeBytes(of: value.littleEndian, as: UInt64.self) }
    }

    /// A guest string (bytes, not necessarily valid UTF-8: invalid sequences become U+FFFD).
    func string(_ address: UInt32, _ count: UInt32) throws(HostcallInterruption) -> String {
        try read(address, UInt64(count)) { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Output

    /// Appends to the response body, or stops the guest once the body would pass the limit.
    func appendBody(_ bytes: UnsafeRawBufferPointer) throws(HostcallInterruption) {
        let limit = image.descriptor.limits.maxResponseBytes
        guard bytes.count <= limit - body.count else { throw .responseTooLarge(limit: limit) }
        body.append(contentsOf: bytes)
    }

    /// Appends to the log, keeping at most the limit's bytes and then a truncation marker.
    func appendLog(_ bytes: UnsafeRawBufferPointer) {
        log.append(bytes, limit: image.descriptor.limits.maxLogBytes)
    }
}
