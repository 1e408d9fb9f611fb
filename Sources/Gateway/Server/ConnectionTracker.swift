import NIOCore
import Synchronization

/// The open connections: enforces the cap and lets shutdown reach every one of them.
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var refused = 0
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Registers `channel`; `false` when the cap is reached (the caller closes it).
    func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state in
            guard state.channels.count < limit else {
                state.refused += 1
                return false
            }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { [self] _ in
                _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
            }
        }
        return admitted
    }

    /// The connections open now.
    var channels: [any Channel] { state.withLock { Array($0.channels.values) } }

    /// How many connections are open now.
    var count: Int { state.withLock { $0.channels.count } }

    /// How many connections were refused because of the cap.
    var refused: Int { state.withLock { $0.refused } }
}
