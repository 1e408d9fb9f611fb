/// The `http_*` hostcalls (SPEC "Outbound HTTP"): the monitor checks the pointers, the grant, the
/// request block, the body size and the per-invocation limit; ``OutboundHTTP`` makes the request.
extension HostcallContext {
    func httpRequest(block: UInt32, blockLength: UInt32, body: UInt32, bodyLength: UInt32) throws(HostcallInterruption)
        -> Int32
    {
        try checkDeadline()
        // Pointer ranges first: a range outside the compartment is a fault whatever else is wrong.
        _ = try derive(body, UInt64(bodyLength), .load)
        let blockBytes = try bytes(block, blockLength)
        let function = image.descriptor.function
        let grants = image.descriptor.grants.http
        guard !grants.isEmpty else {
            services.http?.count(function: function, result: "not_granted")
            return ErrorCode.notGranted
        }
        guard let request = OutboundRequestBlock(blockBytes) else {
            services.http?.count(function: function, result: "invalid")
            appendLogLine("http -> invalid request: a bad method, URL or header")
            return ErrorCode.invalidArgument
        }
        guard let grant = grants.first(where: { $0.matches(request.url) }) else {
            services.http?.count(function: function, result: "not_granted")
            appendLogLine("http \(request.method) \(request.url.logText) -> not granted")
            return ErrorCode.notGranted
        }
        guard Int(bodyLength) <= Self.maxOutboundBodyBytes else {
            services.http?.count(function: function, result: "too_large")
            appendLogLine("http \(request.method) \(request.url.logText) -> request body over \(Self.maxOutboundBodyBytes) bytes")
            return ErrorCode.tooLarge
        }
        guard httpRequests < Self.maxHTTPRequests else {
            services.http?.count(function: function, result: "limit")
            appendLogLine("http \(request.method) \(request.url.logText) -> limit of \(Self.maxHTTPRequests) requests reached")
            return ErrorCode.limitReached
        }
        guard let http = services.http else {
            appendLogLine("http \(request.method) \(request.url.logText) -> outbound HTTP is not available on this server")
            return ErrorCode.calleeFailed
        }
        httpRequests += 1
        let payload = try bytes(body, bodyLength)
        let started = ContinuousClock.now
        let outbound = OutboundRequest(
            function: function, method: request.method, url: request.url, grant: grant, headers: request.headers,
            body: payload, deadline: Self.requestDeadline(before: deadline, from: started),
            maxResponseBytes: Self.maxOutboundBodyBytes)
        let result = http.perform(outbound)
        let line = "http \(request.method) \(request.url.logText) ->"
        switch result {
        case .response(let response):
            appendLogLine("\(line) \(response.status) in \(Self.milliseconds(since: started)) ms")
            let object = CapabilityObject.httpResponse(
                status: response.status, headers: response.headers, body: response.body)
            return table.insert(object, capability: object.rootCapability)
        case .refused(let message):
            appendLogLine("\(line) refused: \(message)")
            return ErrorCode.notGranted
        case .tooLarge(let message):
            appendLogLine("\(line) too large: \(message)")
            return ErrorCode.tooLarge
        case .failed(let message):
            appendLogLine("\(line) failed in \(Self.milliseconds(since: started)) ms: \(message)")
            return ErrorCode.calleeFailed
        }
    }

    func httpStatus(_ handle: Int32) throws(HostcallInterruption) -> Int32 {
        try checkDeadline()
        guard case .httpResponse(let status, _, _) = try lookup(handle).0 else {
            throw .fault(CapabilityFault(.type, "handle \(handle) is not an HTTP response"))
        }
        return Int32(clamping: status)
    }

    /// Copies the first value of header `name` (case-insensitive) into `[destination, +length)`:
    /// its byte count, -2 when absent, -3 when it does not fit (nothing copied then).
    func httpHeader(handle: Int32, name: UInt32, nameLength: UInt32, destination: UInt32, length: UInt32)
        throws(HostcallInterruption) -> Int32
    {
        try checkDeadline()
        let wanted = try string(name, nameLength).lowercased()
        _ = try derive(destination, UInt64(length), .store)
        guard case .httpResponse(_, let headers, _) = try lookup(handle).0 else {
            throw .fault(CapabilityFault(.type, "handle \(handle) is not an HTTP response"))
        }
        guard let field = headers.first(where: { $0.name.lowercased() == wanted }) else { return ErrorCode.notFound }
        let value = Array(field.value.utf8)
        guard value.count <= Int(length) else { return ErrorCode.tooLarge }
        try store(value, at: destination)
        return Int32(value.count)
    }

    /// Appends one line to the activation's log.
    func appendLogLine(_ line: String) {
        var text = line
        text.append("\n")
        text.utf8.withContiguousStorageIfAvailable { appendLog(UnsafeRawBufferPointer($0)) }
            ?? Array(text.utf8).withUnsafeBytes { appendLog($0) }
    }

    /// A request ends a little before the invocation's deadline (a tenth of what is left, at most
    /// 50 ms), so the guest still gets -4 and can answer in time.
    static func requestDeadline(before deadline: ContinuousClock.Instant, from now: ContinuousClock.Instant)
        -> ContinuousClock.Instant
    {
        let left = deadline - now
        guard left > .zero else { return deadline }
        return deadline - min(left / 10, .milliseconds(50))
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
