import Foundation
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// A scriptable HTTP/1.1 server on 127.0.0.1 for tests and benchmarks of outbound requests: each
/// connection reads one request head (and a body by `Content-Length`), then the handler decides
/// what is written back — a well-formed answer, after a delay, or bytes no honest server sends.
/// One thread per connection; the server closes each connection after its answer.
///
/// ```swift
/// let server = try LoopbackHTTPServer { request in .answer(status: 200, body: Array("hi".utf8)) }
/// // http://127.0.0.1:\(server.port)/
/// server.stop()
/// ```
public final class LoopbackHTTPServer: @unchecked Sendable {
    // @unchecked: `listener` and `port` are set once in init; the request log is behind a Mutex.

    /// A request as the server read it.
    public struct Request: Sendable {
        public var method: String
        public var target: String
        /// Header lines as sent, names lower-cased.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }
    }

    /// What the server does with a request.
    public enum Behaviour: Sendable {
        /// A complete answer with `Content-Length`, after `delay`.
        case answer(status: Int, headers: [(String, String)] = [], body: [UInt8] = [], delay: Duration = .zero)
        /// These bytes exactly, then close.
        case raw([UInt8])
        /// A head, then body bytes forever (until the client goes away).
        case endless(head: String)
        /// Reads the request and never answers; holds the connection for `hold`.
        case silent(hold: Duration)
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Behaviour
    private let stopped = Atomic<Bool>(false)
    private let log = Mutex<[Request]>([])

    /// Listens on a free loopback port and serves until ``stop()``.
    public init(handler: @escaping @Sendable (Request) -> Behaviour) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 512) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// The requests served so far, oldest first.
    public var requests: [Request] { log.withLock { $0 } }

    /// Stops accepting; connections being served finish on their own.
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in
                serve(connection)
                close(connection)
            }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        var one: Int32 = 1
        setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        guard let request = read(connection) else { return }
        log.withLock { $0.append(request) }
        switch handler(request) {
        case .answer(let status, let headers, let body, let delay):
            if delay > .zero { Thread.sleep(forTimeInterval: Self.seconds(delay)) }
            var head = "HTTP/1.1 \(status) \(status < 400 ? "OK" : "Error")\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            head += "\r\n"
            guard send(connection, Array(head.utf8)) else { return }
            if request.method != "HEAD" { _ = send(connection, body) }
        case .raw(let bytes):
            _ = send(connection, bytes)
        case .endless(let head):
            guard send(connection, Array(head.utf8)) else { return }
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)
            while !stopped.load(ordering: .relaxed), send(connection, chunk) {}
        case .silent(let hold):
            Thread.sleep(forTimeInterval: Self.seconds(hold))
        }
        shutdown(connection, Int32(SHUT_WR))
        // Let the client read the answer before the close resets anything it still sends.
        var sink = [UInt8](repeating: 0, count: 4096)
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while recv(connection, &sink, sink.count, 0) > 0 {}
    }

    private func read(_ connection: Int32) -> Request? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { return nil }
            buffer.append(contentsOf: chunk.prefix(count))
            if buffer.count >= 4 {
                headEnd = (0...(buffer.count - 4)).first { buffer[$0..<$0 + 4].elementsEqual(terminator) }
            }
            if buffer.count > 1 << 20 { return nil }
        }
        let head = String(decoding: buffer[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let first = lines.removeFirst().split(separator: " ")
        guard first.count >= 2 else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(buffer[(headEnd! + 4)...])
        let length = Int(headers.first { $0.name == "content-length" }?.value ?? "0") ?? 0
        while body.count < length {
            let count = recv(connection, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            body.append(contentsOf: chunk.prefix(count))
        }
        return Request(method: String(first[0]), target: String(first[1]), headers: headers, body: body)
    }

    private func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
