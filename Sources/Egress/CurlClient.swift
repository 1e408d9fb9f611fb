import CCurl
public import Sandbox

/// The outbound HTTP client of guests, on libcurl: HTTP/1.1, and HTTP/2 over TLS, with TLS
/// verified against the system's CA store.
///
/// For each request: resolve the host once (``HostResolver``), refuse it when any address is in a
/// forbidden range the matching grant does not name, then let curl connect only to the checked
/// addresses (`CURLOPT_RESOLVE`), so a second lookup cannot rebind the name to another address.
/// Redirects are not followed, no proxy is taken from the environment, no cookies are kept, only
/// `http` and `https` are spoken; the body is cut off past the limit while it arrives, the
/// headers past ``maxResponseHeaders`` fields or ``maxResponseHeaderBytes``, and the whole
/// transfer, connecting included, ends at the request's deadline.
///
/// A fresh curl handle per request: nothing — a pinned address, a connection, a TLS session —
/// carries over from one guest's request to another's. Instances keep no mutable state, so
/// ``perform(_:)`` may run on any number of threads at once.
///
/// ```swift
/// let client = CurlClient()                 // the system resolver
/// switch client.perform(request) {          // .response, .refused, .tooLarge or .failed
/// case .response(let response): print(response.status)
/// default: break
/// }
/// ```
public final class CurlClient: OutboundHTTP, Sendable {
    /// The most header fields of a response.
    public static let maxResponseHeaders = 100
    /// The most bytes of response head (status lines and fields of every response, interim ones
    /// included).
    public static let maxResponseHeaderBytes = 64 << 10

    public let resolver: any HostResolver

    /// A client resolving names with `resolver`.
    public init(resolver: any HostResolver = SystemResolver()) {
        self.resolver = resolver
    }

    public func perform(_ request: OutboundRequest) -> OutboundResult {
        let url = request.url
        let addresses: [IPAddress]
        switch url.host {
        case .address(let address):
            addresses = [address]
        case .name("localhost"):
            // Never asked of DNS or /etc/hosts: `localhost` is the loopback addresses, full stop.
            addresses = [.v4([127, 0, 0, 1]), .v6(Array(repeating: 0, count: 15) + [1])]
        case .name(let name):
            switch resolver.resolve(name, before: request.deadline) {
            case .success(let found) where !found.isEmpty: addresses = found
            case .success: return .failed("cannot resolve \(name): no addresses")
            case .failure(let failure): return .failed("cannot resolve \(name): \(failure)")
            }
        }
        if let refusal = Self.refusal(url: url, addresses: addresses, grant: request.grant) { return .refused(refusal) }
        guard let timeout = Self.milliseconds(until: request.deadline) else {
            return .failed("the invocation's deadline passed before the request was sent")
        }
        guard CurlGlobal.ready else { return .failed("libcurl could not be initialised: \(CurlGlobal.text(CurlGlobal.status))") }
        var pin: String?
        if case .name(let name) = url.host {
            pin = "\(name):\(url.port):\(addresses.map(\.urlForm).joined(separator: ","))"
        }
        return request.body.withUnsafeBytes { body in
            transfer(request, body: body, pin: pin, timeout: timeout)
        }
    }

    /// Why a request to these addresses is refused: the first one in a forbidden range that the
    /// grant does not name. All are checked, because curl may connect to any of them.
    static func refusal(url: OutboundURL, addresses: [IPAddress], grant: HTTPGrant) -> String? {
        for address in addresses {
            guard let range = address.forbiddenRange, !grant.allowsForbidden(address) else { continue }
            switch url.host {
            case .name(let name): return "\(name) resolves to \(address), a \(range) address the grant does not name"
            case .address: return "\(address) is a \(range) address the grant does not name"
            }
        }
        return nil
    }

    /// Whole milliseconds until `deadline`, at least 1; nil once it has passed.
    static func milliseconds(until deadline: ContinuousClock.Instant) -> Int? {
        let remaining = deadline - .now
        guard remaining > .zero else { return nil }
        let (seconds, attoseconds) = remaining.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// One transfer on a fresh handle. `body` stays valid until it returns, so curl reads the
    /// request body in place (`CURLOPT_POSTFIELDS`) instead of copying up to 6 MiB.
    private func transfer(_ request: OutboundRequest, body: UnsafeRawBufferPointer, pin: String?, timeout: Int) -> OutboundResult {
        guard let handle = curl_easy_init() else { return .failed("libcurl could not make a handle") }
        let state = CurlTransfer(maxBody: request.maxResponseBytes)
        let errors = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errors.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var resolve: UnsafeMutablePointer<curl_slist>?
        var headers: UnsafeMutablePointer<curl_slist>?
        defer {
            curl_easy_cleanup(handle)
            curl_slist_free_all(resolve)
            curl_slist_free_all(headers)
            errors.deallocate()
        }
        if let pin { resolve = curl_slist_append(nil, pin) }
        headers = Self.headerList(request.headers)

        var status = CURLE_OK
        func set(_ code: CURLcode) { if status == CURLE_OK { status = code } }
        set(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errors))
        set(ccurl_setopt_string(handle, CURLOPT_URL, request.url.text))
        // The target as the grant check and the log saw it: no dot-segment rewriting.
        set(ccurl_setopt_long(handle, CURLOPT_PATH_AS_IS, 1))
        set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"))
        // Redirects are not followed at all; should that change, they stay on http(s).
        set(ccurl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        set(ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0))
        // An empty proxy and `*` for no-proxy: http_proxy, HTTPS_PROXY, ALL_PROXY are ignored.
        set(ccurl_setopt_string(handle, CURLOPT_PROXY, ""))
        set(ccurl_setopt_string(handle, CURLOPT_NOPROXY, "*"))
        // curl must not touch signal handlers in a multi-threaded server; it resolves nothing
        // itself (the addresses are pinned), so it needs no SIGALRM for lookup timeouts either.
        set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeout))
        set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, timeout))
        set(ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS))
        // curl's defaults, stated: the peer's certificate must chain to the system's CA store and
        // name the host.
        set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1))
        set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2))
        // Refuses up front a response whose Content-Length is over the limit; the write callback
        // catches the ones without.
        set(ccurl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes)))
        if let resolve { set(ccurl_setopt_list(handle, CURLOPT_RESOLVE, resolve)) }
        set(ccurl_setopt_list(handle, CURLOPT_HTTPHEADER, headers))
        if request.method == "HEAD" {
            // NOBODY makes it a HEAD and tells curl not to wait for a body; a HEAD sends none.
            set(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1))
        } else {
            if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
                set(ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                // An empty body still needs a non-null pointer, or curl reads the body from stdin.
                let pointer = body.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? UnsafeMutableRawPointer(errors)
                set(ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, pointer))
            }
            // After POSTFIELDS, which would make it a POST: the method the guest asked for.
            set(ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method))
        }
        let context = Unmanaged.passUnretained(state).toOpaque()
        set(ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, { data, size, count, context in
            CurlTransfer.from(context).receive(body: data, size * count)
        }))
        set(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        set(ccurl_setopt_callback(handle, CURLOPT_HEADERFUNCTION, { data, size, count, context in
            CurlTransfer.from(context).receive(header: data, size * count)
        }))
        set(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        guard status == CURLE_OK else { return .failed("libcurl refused an option: \(CurlGlobal.text(status))") }

        let result = withExtendedLifetime(state) { curl_easy_perform(handle) }
        if let overflow = state.overflow { return .tooLarge(overflow) }
        let detail = String(cString: errors)
        let message = detail.isEmpty ? CurlGlobal.text(result) : "\(CurlGlobal.text(result)): \(detail)"
        switch result {
        case CURLE_OK:
            var code = 0
            _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
            return .response(OutboundResponse(status: code, headers: state.headers, body: state.body))
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge("response body over \(request.maxResponseBytes) bytes")
        case CURLE_OUT_OF_MEMORY where !state.headEnded:
            // How curl 7.88 rejects one header line over 100 KiB (CURL_MAX_HTTP_HEADER), before
            // the header callback sees it: past this client's limit for the whole head anyway.
            return .tooLarge("response headers over \(Self.maxResponseHeaderBytes) bytes (\(message))")
        case CURLE_OPERATION_TIMEDOUT:
            return .failed("no complete answer by the invocation's deadline (\(timeout) ms): \(message)")
        default:
            return .failed(message)
        }
    }

    /// The guest's headers for `CURLOPT_HTTPHEADER`, and `Expect:` (none) unless the guest sent
    /// one: curl would otherwise send `Expect: 100-continue` for bodies over 1 MiB and wait.
    static func headerList(_ fields: [HTTPField]) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>?
        if !fields.contains(where: { $0.name.lowercased() == "expect" }) { list = curl_slist_append(list, "Expect:") }
        for field in fields {
            // `Name:` would tell curl to drop a header it adds itself; `Name;` sends it empty.
            list = curl_slist_append(list, field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        return list
    }
}
