/// Admission control for one function: at most `concurrency` invocations run, up to `queue` wait
/// in FIFO order, and the rest are turned away at once.
///
/// A value type without I/O: the scheduler keeps one per function under its lock and acts on the
/// returned decisions (resume a waiter, answer 429).
struct Admission: Sendable {
    /// What to do with an arriving invocation.
    enum Decision: Equatable, Sendable {
        /// A slot is free: run now.
        case run
        /// No slot: wait in the queue at this position (0 is next).
        case wait(position: Int)
        /// Queue full: refuse.
        case reject
    }

    private(set) var running = 0
    /// Places held for async activations being made durable: they count against the queue so that
    /// an accepted activation finds room when it arrives (``reserve()``, ``arrive(_:reserved:)``).
    private(set) var reserved = 0
    private(set) var concurrency: Int
    private(set) var queueLimit: Int
    /// Waiting tickets in arrival order; `head` skips the ones already taken.
    private var waiting: [UInt64] = []
    private var head = 0

    init(concurrency: Int, queue: Int) {
        self.concurrency = max(1, concurrency)
        self.queueLimit = max(0, queue)
    }

    var queued: Int { waiting.count - head }

    /// Changes the limits (a new version's manifest). Running invocations are not interrupted;
    /// returns the tickets that may now run because the limit grew.
    mutating func reconfigure(concurrency: Int, queue: Int) -> [UInt64] {
        self.concurrency = max(1, concurrency)
        self.queueLimit = max(0, queue)
        var admitted: [UInt64] = []
        while running < self.concurrency, let next = popWaiting() {
            running += 1
            admitted.append(next)
        }
        return admitted
    }

    /// Whether one more invocation fits, running or queued, beside those holding a reservation.
    private var hasRoom: Bool { running + queued + reserved < concurrency + queueLimit }

    /// Holds a place for an invocation that will arrive soon (an async one, once it is stored).
    /// - Returns: `false` when the function is at its concurrency and queue limits (429).
    mutating func reserve() -> Bool {
        guard hasRoom else { return false }
        reserved += 1
        return true
    }

    /// Gives back a place held by ``reserve()`` for an invocation that will not arrive.
    mutating func unreserve() {
        reserved = max(0, reserved - 1)
    }

    /// An invocation arrives with `ticket`; with `reserved`, it takes the place it reserved and is
    /// never refused.
    mutating func arrive(_ ticket: UInt64, reserved isReserved: Bool = false) -> Decision {
        if isReserved {
            unreserve()
        } else if !hasRoom {
            return .reject
        }
        if running < concurrency && queued == 0 {
            running += 1
            return .run
        }
        guard isReserved || queued < queueLimit else { return .reject }
        waiting.append(ticket)
        return .wait(position: queued - 1)
    }

    /// Takes a slot only if one is free now, never queueing (CAP-Calls run inline and must not wait).
    mutating func tryAcquire() -> Bool {
        guard running < concurrency else { return false }
        running += 1
        return true
    }

    /// A running invocation ended: returns the waiting ticket that takes its slot, if any.
    mutating func finish() -> UInt64? {
        precondition(running > 0, "finish without a running invocation")
        if let next = popWaiting() {
            return next
        }
        running -= 1
        return nil
    }

    /// Removes a waiting ticket (its deadline passed, or its caller went away). Returns false
    /// when the ticket was not waiting any more (it was admitted meanwhile).
    mutating func cancel(_ ticket: UInt64) -> Bool {
        guard let index = waiting[head...].firstIndex(of: ticket) else { return false }
        waiting.remove(at: index)
        return true
    }

    private mutating func popWaiting() -> UInt64? {
        guard head < waiting.count else { return nil }
        let ticket = waiting[head]
        head += 1
        if head > 64 && head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        return ticket
    }
}
