/// The pool of one function version's compartments: which are sealed and idle, how many run,
/// how many are being created, and which idle ones have outlived their keep-alive.
///
/// Generic over the element so that its policy is tested without WebAssembly or threads; the
/// scheduler keeps one per version under its lock.
struct WarmPool<Element> {
    struct Idle {
        var element: Element
        var lastUsed: ContinuousClock.Instant
    }

    /// Pre-sealed compartments kept while idle.
    var warm: Int
    /// How long compartments beyond `warm` live idle.
    var keepAlive: Duration
    /// Idle, sealed compartments; the most recently used is last (taken first: its memory is warm).
    private(set) var idle: [Idle] = []
    private(set) var running = 0
    private(set) var creating = 0
    /// A drained pool (an older version, a removed function) starts nothing and keeps nothing.
    private(set) var draining = false

    init(warm: Int, keepAlive: Duration) {
        self.warm = max(0, warm)
        self.keepAlive = keepAlive
    }

    var isEmpty: Bool { idle.isEmpty && running == 0 && creating == 0 }

    /// Takes the most recently used sealed compartment for an invocation.
    mutating func checkout() -> Element? {
        guard !draining, let entry = idle.popLast() else { return nil }
        running += 1
        return entry.element
    }

    /// Counts an invocation that runs on a compartment it created itself (a cold start).
    mutating func beginColdRun() {
        running += 1
    }

    /// What becomes of a compartment whose invocation ended.
    enum Return {
        case keep
        case destroy(Element)
    }

    /// A compartment comes back from an invocation. `reusable` is false when it faulted, trapped,
    /// hit a limit or must otherwise not run again.
    mutating func checkin(_ element: Element, reusable: Bool, now: ContinuousClock.Instant) -> Return {
        precondition(running > 0, "checkin without checkout")
        running -= 1
        guard reusable, !draining else { return .destroy(element) }
        if keepAlive <= .zero && idle.count >= warm {
            return .destroy(element)
        }
        idle.append(Idle(element: element, lastUsed: now))
        return .keep
    }

    /// How many compartments the pool should create now to hold `warm` sealed ones.
    var deficit: Int {
        guard !draining else { return 0 }
        return max(0, warm - idle.count - creating)
    }

    mutating func beginCreating(_ count: Int = 1) {
        creating += count
    }

    /// A background creation ended; a created compartment joins the idle set unless the pool was
    /// drained meanwhile, in which case it is handed back for destruction.
    mutating func finishCreating(_ element: Element?, now: ContinuousClock.Instant) -> Element? {
        precondition(creating > 0, "finishCreating without beginCreating")
        creating -= 1
        guard let element else { return nil }
        guard !draining else { return element }
        idle.append(Idle(element: element, lastUsed: now))
        return nil
    }

    /// Idle compartments beyond `warm` whose keep-alive has passed, oldest first.
    mutating func expire(now: ContinuousClock.Instant) -> [Element] {
        var expired: [Element] = []
        // idle is ordered by last use (appended on return), so the oldest are first.
        while idle.count > warm, let oldest = idle.first, oldest.lastUsed + keepAlive <= now {
            expired.append(idle.removeFirst().element)
        }
        return expired
    }

    /// The least recently used idle compartment and when it was used, for global eviction.
    var oldestIdle: ContinuousClock.Instant? { idle.first?.lastUsed }

    /// Removes the least recently used idle compartment (global budget eviction).
    mutating func evictOldest() -> Element? {
        idle.isEmpty ? nil : idle.removeFirst().element
    }

    /// Stops the pool: nothing new starts, idle compartments are handed back for destruction,
    /// running ones are destroyed when they return.
    mutating func drain() -> [Element] {
        draining = true
        defer { idle.removeAll() }
        return idle.map(\.element)
    }

    /// Idle elements, oldest first (for the `/cvms` snapshot).
    var idleElements: [Element] { idle.map(\.element) }
}
