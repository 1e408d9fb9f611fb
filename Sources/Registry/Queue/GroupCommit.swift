import Foundation
import GRDB

/// Runs write operations on one thread, as many as have gathered in one transaction (group
/// commit): under load, one fsync makes a whole batch durable instead of one fsync per operation.
///
/// A batch first runs its operations one after the other in one transaction; if one throws, that
/// transaction is rolled back and the batch runs again with each operation in a savepoint of its
/// own, so that the one that throws is undone alone while the rest commit (a savepoint per
/// operation in every batch cost about a third of the writer's time). An operation's caller resumes only after the batch's commit
/// returned: what it was told is stored is on disk. Every batch gets a fresh `Context` (prepared
/// statements, coders, totals) that its operations share, and `finish` runs on it before the commit.
final class GroupCommit<Context>: @unchecked Sendable {
    // @unchecked: `waiting` and `stopped` are only touched with `condition` held; a `Context` lives
    // on the writer thread only.
    private let database: DatabasePool
    private let condition = NSCondition()
    private var waiting: [Operation] = []
    private var stopped = false
    private let maxBatch: Int
    private let ended = DispatchSemaphore(value: 0)
    private let makeContext: (Database) throws -> Context
    private let finish: (Database, Context) throws -> Void

    private struct Operation {
        let body: (Database, Context) throws -> Void
        let done: ((any Error)?) -> Void
    }

    init(
        database: DatabasePool, threadName: String, maxBatch: Int = 1024,
        makeContext: @escaping (Database) throws -> Context, finish: @escaping (Database, Context) throws -> Void
    ) {
        self.database = database
        self.maxBatch = maxBatch
        self.makeContext = makeContext
        self.finish = finish
        let thread = Thread { [self] in
            ThreadName.setCurrent(threadName)
            run()
            ended.signal()
        }
        thread.start()
    }

    /// Runs `body` in the next batch and answers its value once the batch has committed.
    func perform<T: Sendable>(_ body: @escaping (Database, Context) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let box = Box<T>()
            submit(
                Operation(
                    body: { db, context in box.value = try body(db, context) },
                    done: { error in
                        if let error {
                            continuation.resume(throwing: error)
                        } else if let value = box.value {
                            continuation.resume(returning: value)
                        } else {
                            continuation.resume(throwing: DatabaseError(message: "the operation produced no value"))
                        }
                    }))
        }
    }

    /// Runs `body` in the next batch, blocking the calling thread until the batch has committed.
    /// For callers on threads that may block (a guest's worker thread), never an event loop.
    func performAndWait<T>(_ body: @escaping (Database, Context) throws -> T) throws -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        var failure: (any Error)?
        submit(
            Operation(
                body: { db, context in box.value = try body(db, context) },
                done: { error in
                    failure = error
                    done.signal()
                }))
        done.wait()
        if let failure { throw failure }
        guard let value = box.value else { throw DatabaseError(message: "the operation produced no value") }
        return value
    }

    /// Ends the thread after the operations already submitted; later ones fail at once.
    /// - Parameter wait: whether to return only once the thread has committed them (at most 10 s).
    func stop(wait: Bool) {
        condition.lock()
        let first = !stopped
        stopped = true
        condition.broadcast()
        condition.unlock()
        if wait, first { _ = ended.wait(timeout: .now() + 10) }
    }

    private func submit(_ operation: Operation) {
        condition.lock()
        guard !stopped else {
            condition.unlock()
            return operation.done(DatabaseError(message: "the registry is closed"))
        }
        waiting.append(operation)
        if waiting.count == 1 { condition.signal() }
        condition.unlock()
    }

    private func next() -> [Operation]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty {
            if stopped { return nil }
            condition.wait()
        }
        let count = min(waiting.count, maxBatch)
        let batch = Array(waiting.prefix(count))
        waiting.removeFirst(count)
        return batch
    }

    private func run() {
        while let batch = next() {
            var errors: [(any Error)?]
            do {
                try commit(batch)
                errors = [(any Error)?](repeating: nil, count: batch.count)
            } catch {
                errors = commitEach(batch)
            }
            for (operation, error) in zip(batch, errors) { operation.done(error) }
        }
    }

    /// Runs every operation of `batch` in one transaction; throws the first error, rolling back all.
    private func commit(_ batch: [Operation]) throws {
        try database.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let context = try makeContext(db)
                for operation in batch { try operation.body(db, context) }
                try finish(db, context)
                return .commit
            }
        }
    }

    /// Runs `batch` again with each operation in a savepoint: the errors of those that threw.
    private func commitEach(_ batch: [Operation]) -> [(any Error)?] {
        var errors = [(any Error)?](repeating: nil, count: batch.count)
        do {
            try database.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let context = try makeContext(db)
                    for (index, operation) in batch.enumerated() {
                        do {
                            try db.inSavepoint {
                                try operation.body(db, context)
                                return .commit
                            }
                        } catch {
                            errors[index] = error
                        }
                    }
                    try finish(db, context)
                    return .commit
                }
            }
        } catch {
            errors = [(any Error)?](repeating: error, count: batch.count)
        }
        return errors
    }
}

/// A value set on the writer thread and read after the commit it belongs to (which orders the two).
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
