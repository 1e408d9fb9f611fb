import Foundation
import Sandbox

/// A compartment as the scheduler tracks it: the cVM itself plus what `/cvms` reports.
///
/// `@unchecked Sendable` because ownership moves between threads: a handle is either idle in a
/// pool (reachable only under the scheduler's lock) or checked out by exactly one worker thread,
/// which alone touches `compartment` until it checks the handle back in under the same lock. The
/// bookkeeping fields are read and written only with that lock held.
final class CompartmentHandle: @unchecked Sendable {
    let compartment: Compartment
    let id: UInt64
    let function: String
    let version: Int
    let created = Date()
    var invocations = 0
    var memoryBytes: Int
    var isRunning = false

    init(compartment: Compartment, id: UInt64, function: String, version: Int) {
        self.compartment = compartment
        self.id = id
        self.function = function
        self.version = version
        self.memoryBytes = compartment.memoryBytes
    }

    var info: CompartmentInfo {
        CompartmentInfo(
            id: id, function: function, version: version, state: isRunning ? "running" : "sealed",
            memoryBytes: memoryBytes, invocations: invocations, created: created)
    }
}
