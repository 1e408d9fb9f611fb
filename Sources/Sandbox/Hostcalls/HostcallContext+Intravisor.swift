import WasmKit

/// The `intravisor` module (SPEC "Guest ABIs", `iv`). Returnable errors are negative: -1 not granted,
/// -2 not found, -3 too large (or out of range), -4 callee failed (v2: also an outbound request that failed),
/// -5 limit reached, -6 invalid argument, -7 conflict. Faults are thrown and end the invocation.
extension HostcallContext {
    enum ErrorCode {
        static let notGranted: Int32 = -1
        static let notFound: Int32 = -2
        static let tooLarge: Int32 = -3
        static let calleeFailed: Int32 = -4
        static let limitReached: Int32 = -5
        static let invalidArgument: Int32 = -6
        static let conflict: Int32 = -7
    }

    func requestLength() throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        return Int32(clamping: request.body.count)
    }

    func requestRead(destination: UInt32, length: UInt32, offset: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        let body = request.body
        let start = min(Int(offset), body.count)
        let count = min(Int(length), body.count - start)
        return try write(destination, UInt64(length)) { buffer in
            body.withUnsafeBytes { source in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count)]))
            }
            return Int32(clamping: count)
        }
    }

    func responseWrite(source: UInt32, length: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        let limit = image.descriptor.limits.maxResponseBytes
        // The capability check comes first: a range outside the compartment is a bounds fault,
        // whatever its length; only a range the guest owns can be too large a response.
        _ = try derive(source, UInt64(length), .load)
        guard Int(length) <= limit - body.count else { throw .responseTooLarge(limit: limit) }
        try read(source, UInt64(length)) { body.append(contentsOf: $0) }
        return Int32(bitPattern: length)
    }

    func responseStatus(_ code: Int32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard (100...599).contains(code) else { return ErrorCode.tooLarge }
        status = Int(code)
        return 0
    }

    func responseHeader(name: UInt32, nameLength: UInt32, value: UInt32, valueLength: UInt32)
        throws(HostcallInterruption) -> Int32
    {
        try checkDeadline()
        let nameBytes = try bytes(name, nameLength)
        let valueBytes = try bytes(value, valueLength)
        guard headers.count < Self.maxHeaders,
            nameBytes.count + valueBytes.count <= Self.maxHeaderBytes - headerBytes,
            HTTPFieldSyntax.isValidName(nameBytes), HTTPFieldSyntax.isValidValue(valueBytes)
        else { return ErrorCode.tooLarge }
        headers.append(
            HTTPField(name: String(decoding: nameBytes, as: UTF8.self), value: String(decoding: valueBytes, as: UTF8.self)))
        headerBytes += nameBytes.count + valueBytes.count
        return 0
    }

    func log(source: UInt32, length: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        try read(source, UInt64(length)) { appendLog($0) }
        return Int32(bitPattern: length)
    }

    func clockNanoseconds(_ clock: Int32) throws(HostcallInterruption) -> Int64 {
        try checkDeadline()
        guard image.descriptor.grants.clock else { return Int64(ErrorCode.notGranted) }
        switch clock {
        case 0: return Int64(clamping: HostClock.realtimeNanoseconds())
        case 1: return Int64(clamping: HostClock.monotonicNanoseconds())
        default: return Int64(ErrorCode.notFound)
        }
    }

    func random(destination: UInt32, length: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard image.descriptor.grants.random else { return ErrorCode.notGranted }
        try write(destination, UInt64(length)) { HostRandom.fill($0) }
        return Int32(bitPattern: length)
    }

    func capOpen(path: UInt32, length: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard !image.descriptor.grants.files.isEmpty else { return ErrorCode.notGranted }
        let name = try string(path, length)
        guard let file = image.files.file(at: name) else { return ErrorCode.notFound }
        return table.insert(.file(file), capability: file.capability)
    }

    func capLength(_ handle: Int32) throws(HostcallInterruption) -> Int64 {
        try checkDeadline()
        let (_, capability) = try lookup(handle)
        return Int64(clamping: capability.length)
    }

    func capRead(handle: Int32, destination: UInt32, length: UInt32, offset: Int64) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        let (object, capability) = try lookup(handle)
        // A read may be short at the end of the object; an offset past the end is a bounds fault.
        let start = UInt64(bitPattern: offset)
        let count = start <= capability.length ? min(UInt64(length), capability.length - start) : UInt64(length)
        let source: ArraySlice<UInt8>
        do {
            source = try object.bytes(through: capability, offset: start, length: count)
        } catch {
            throw .fault(error)
        }
        return try write(destination, UInt64(length)) { buffer in
            source.withUnsafeBytes { buffer.copyMemory(from: $0) }
            return Int32(clamping: count)
        }
    }

    func capRestrict(handle: Int32, offset: Int64, length: Int64, permissions mask: Int32) throws(HostcallInterruption)
        -> Int32
    {
        try checkDeadline()
        guard let permissions = Permissions(guestMask: mask) else {
            throw .fault(CapabilityFault(.permission, "cap_restrict with unknown permission bits \(mask)"))
        }
        do {
            // Negative offsets or lengths become huge unsigned values: a widening, hence a permission fault.
            return try table.restrict(
                handle, offset: UInt64(bitPattern: offset), length: UInt64(bitPattern: length), permissions: permissions)
        } catch {
            throw .fault(error)
        }
    }

    func capDrop(_ handle: Int32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        do {
            try table.drop(handle)
        } catch {
            throw .fault(error)
        }
        return 0
    }

    func call(name: UInt32, nameLength: UInt32, source: UInt32, length: UInt32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        let function = try string(name, nameLength)
        let requestBody = try bytes(source, length)
        guard image.descriptor.grants.invoke.contains(function), let callHandler = services.calls else { return ErrorCode.notGranted }
        switch callHandler.call(function: function, body: requestBody, caller: image.descriptor, deadline: deadline) {
        case .notFound:
            return ErrorCode.notFound
        case .failed:
            try checkDeadline()
            return ErrorCode.calleeFailed
        case .response(let response):
            try checkDeadline()
            let object = CapabilityObject.callResponse(status: response.status, body: response.body)
            return table.insert(object, capability: object.rootCapability)
        }
    }

    func callStatus(_ handle: Int32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        let (object, _) = try lookup(handle)
        guard case .callResponse(let status, _) = object else {
            throw .fault(CapabilityFault(.type, "handle \(handle) is not a call response"))
        }
        return Int32(clamping: status)
    }

    /// The object and capability behind a handle; an unknown or dropped handle is a `tag` fault.
    func lookup(_ handle: Int32) throws(HostcallInterruption) -> (CapabilityObject, Capability) {
        do {
            return try table.lookup(handle)
        } catch {
            throw .fault(error)
        }
    }
}
