/// Where a compartment is in its life: created sealed, running during an invocation, sealed again after,
/// destroyed after a trap, fault or limit (or when its memory grew under `state: reset`), never reused.
public enum CompartmentState: UInt8, Sendable, Equatable, CustomStringConvertible {
    case sealed
    case running
    case destroyed

    public var description: String {
        switch self {
        case .sealed: "sealed"
        case .running: "running"
        case .destroyed: "destroyed"
        }
    }
}
