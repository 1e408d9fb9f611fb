import Foundation
import Synchronization

/// A loopback HTTP server whose answers wait until the test opens it. A guest that calls it
/// (``GuestFixtures/heldCall(_:)``) holds its compartment and slot for exactly as long as a test
/// needs: no core burnt the way a spinning guest burns one, and no timeout to race on a loaded
/// machine.
///
/// ```swift
/// let gate = try Gate(answer: "finally")
/// // deploy GuestFixtures.heldCall(gate.request) with http: ["http://127.0.0.1:*"], invoke it…
/// gate.open()  // …and it answers "finally"
/// ```
public final class Gate: Sendable {
    private let server: LoopbackHTTPServer
    private let flag: Flag

    /// - Parameter answer: the body every request gets once the gate opens.
    public init(answer: String = "released") throws {
        let opened = Flag()
        server = try LoopbackHTTPServer { _ in
            // Bounded, so that a test that fails before opening the gate does not hang its guest.
            let giveUp = ContinuousClock.now + .seconds(60)
            while !opened.isSet && ContinuousClock.now < giveUp { Thread.sleep(forTimeInterval: 0.005) }
            return .answer(status: 200, body: Array(answer.utf8))
        }
        flag = opened
    }

    deinit { server.stop() }

    /// The manifest lines that grant outbound HTTP to any loopback port: the gate's, and any
    /// other local server a test runs.
    public static let loopbackGrant = ["capabilities:", "  http: [\"http://127.0.0.1:*\"]"]

    /// The outbound request block that reaches the gate.
    public var request: String { "GET http://127.0.0.1:\(server.port)/" }

    /// Lets every waiting and later request through.
    public func open() { flag.set() }

    /// How many requests have reached the gate.
    public var arrivals: Int { server.requests.count }

    private final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        var isSet: Bool { value.load(ordering: .acquiring) }
        func set() { value.store(true, ordering: .releasing) }
    }
}
