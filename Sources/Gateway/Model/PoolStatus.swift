/// A function's compartments right now: pre-sealed, running, and invocations waiting for one.
public struct PoolStatus: Sendable, Equatable, Codable {
    public var sealed: Int
    public var running: Int
    public var queued: Int

    public init(sealed: Int, running: Int, queued: Int) {
        self.sealed = sealed
        self.running = running
        self.queued = queued
    }
}
