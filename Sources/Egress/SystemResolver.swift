import Dispatch
import Foundation
public import Sandbox
import Synchronization
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The system's resolver (`getaddrinfo`: /etc/hosts, then DNS), IPv4 and IPv6 addresses in the
/// order it gives them, without duplicates.
public struct SystemResolver: HostResolver {
    public init() {}

    public func resolve(_ name: String) -> Result<[IPAddress], ResolveFailure> {
        Self.lookup(name)
    }

    /// Looks `name` up on a thread of its own and waits for it until `deadline`. `getaddrinfo`
    /// can neither be cancelled nor given a timeout (a silent DNS server holds it for the
    /// resolver's retries, 10 s and more), so a lookup still running at the deadline is left to
    /// finish alone; a thread of its own, not one of a shared pool, so such lookups cannot starve
    /// anything else.
    public func resolve(_ name: String, before deadline: ContinuousClock.Instant) -> Result<[IPAddress], ResolveFailure> {
        let remaining = deadline - .now
        guard remaining > .zero else { return .failure(ResolveFailure("the deadline passed before the lookup")) }
        let lookup = PendingLookup()
        Thread.detachNewThread {
            lookup.finish(Self.lookup(name))
        }
        let wait = DispatchTime.now().uptimeNanoseconds
            + UInt64(remaining.components.seconds) * 1_000_000_000
            + UInt64(remaining.components.attoseconds / 1_000_000_000)
        guard lookup.done.wait(timeout: DispatchTime(uptimeNanoseconds: wait)) == .success, let result = lookup.result
        else { return .failure(ResolveFailure("no answer by the deadline")) }
        return result
    }

    /// One blocking `getaddrinfo`.
    static func lookup(_ name: String) -> Result<[IPAddress], ResolveFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else { return .failure(ResolveFailure(String(cString: gai_strerror(status)))) }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let current = entry {
            if let found = address(current.pointee), !addresses.contains(found) { addresses.append(found) }
            entry = current.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(ResolveFailure("no addresses")) : .success(addresses)
    }

    private static func address(_ info: addrinfo) -> IPAddress? {
        guard let raw = info.ai_addr else { return nil }
        switch info.ai_family {
        case AF_INET:
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                var address = pointer.pointee.sin_addr
                return .v4(withUnsafeBytes(of: &address) { Array($0) })
            }
        case AF_INET6:
            return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                var address = pointer.pointee.sin6_addr
                return .v6(withUnsafeBytes(of: &address) { Array($0) })
            }
        default:
            return nil
        }
    }
}

/// A lookup's answer, handed from its thread to the one waiting (or to no one, after the deadline).
private final class PendingLookup: Sendable {
    let done = DispatchSemaphore(value: 0)
    private let answer = Mutex<Result<[IPAddress], ResolveFailure>?>(nil)

    var result: Result<[IPAddress], ResolveFailure>? { answer.withLock { $0 } }

    func finish(_ result: Result<[IPAddress], ResolveFailure>) {
        answer.withLock { $0 = result }
        done.signal()
    }
}
