import Registry
import Sandbox

/// One loaded function version: its manifest, its parsed image and its pool.
///
/// The image is immutable and shared by every compartment of the version; the pool is mutated only
/// under the scheduler's lock (`@unchecked Sendable` for that reason).
final class VersionRuntime: @unchecked Sendable {
    let function: String
    let version: Int
    let manifest: Manifest
    let image: CompartmentImage
    var pool: WarmPool<CompartmentHandle>

    init(function: String, version: Int, manifest: Manifest, image: CompartmentImage, isCurrent: Bool) {
        self.function = function
        self.version = version
        self.manifest = manifest
        self.image = image
        // A pinned older version is served on demand but not kept warm.
        self.pool = WarmPool(warm: isCurrent ? manifest.warm : 0, keepAlive: manifest.keepAlive)
    }
}

/// Everything the scheduler knows of one function name, touched only with the scheduler's lock
/// held. A class, so that the hot path's lookups (`state.functions[name]`) retain one reference
/// rather than copying the queue, the runtimes and the admission out of the dictionary.
final class FunctionState {
    var current: Int
    var admission: Admission
    var runtimes: [Int: VersionRuntime] = [:]
    /// Queued invocations by ticket; the order is the admission's.
    var waiters: [UInt64: PendingInvocation] = [:]
    /// A moving average of run time, for the Retry-After estimate.
    var averageRun: Duration = .milliseconds(10)

    init(current: Int, manifest: Manifest) {
        self.current = current
        self.admission = Admission(concurrency: manifest.concurrency, queue: manifest.queue)
    }

    /// Seconds until a queued request may find room: the queue ahead of it, served `concurrency`
    /// at a time at the average run time. At least one second.
    var retryAfterSeconds: Int {
        let rounds = Double(admission.queued + 1) / Double(max(1, admission.concurrency))
        let seconds = rounds * Double(averageRun.nanoseconds) / 1e9
        return max(1, Int(seconds.rounded(.up)))
    }

    /// Takes the queued invocations whose deadline has passed out of the queue; returns the
    /// earliest deadline among those still waiting.
    func expireWaiters(now: ContinuousClock.Instant, into expired: inout [PendingInvocation])
        -> ContinuousClock.Instant?
    {
        var earliest: ContinuousClock.Instant?
        for (ticket, waiter) in waiters {
            if waiter.deadline <= now {
                if admission.cancel(ticket) { expired.append(waiter) }
                waiters[ticket] = nil
            } else if earliest.map({ waiter.deadline < $0 }) ?? true {
                earliest = waiter.deadline
            }
        }
        return earliest
    }
}
