import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Ports on 127.0.0.1 for servers the tests start and stop and start again (PostgreSQL, HAProxy).
public enum LoopbackPort {
    /// Below Linux's ephemeral range (32768–60999 by default): while such a server is down, no
    /// client socket and no server bound to port 0 can be given its port, and a client connecting
    /// to it cannot connect to itself (TCP simultaneous open), which would keep it from binding again.
    static let range = 20000..<32000

    /// A port of ``range`` that nothing is bound to now.
    public static func free() -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: range)
            if isFree(port) { return port }
        }
        return range.lowerBound + Int(getpid()) % range.count
    }

    private static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 }
        }
    }
}
