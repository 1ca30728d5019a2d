import Firewall
import Logging
import Synchronization

/// What one data-path call wrote to the kernel, in order, one line per write
/// (`netns "node": add address 10.0.0.100/32 label eth0:egress to "eth0"`). Empty when the
/// kernel already matched: that is how a caller (or a test) sees that a re-apply was a no-op.
public struct DataPathChanges: Hashable, Sendable, CustomStringConvertible {
    public internal(set) var entries: [String] = []
    /// WireGuard links this call created (or re-created): they start without peers, so whoever
    /// keeps the peer list should hand it over again.
    public internal(set) var createdLinks: [String] = []

    public init() {}

    public var isEmpty: Bool { entries.isEmpty }
    public var count: Int { entries.count }
    public var description: String { entries.isEmpty ? "no changes" : entries.joined(separator: "\n") }
}

/// Collects the writes of one call and logs each as it happens, so a call that fails halfway
/// still leaves a record of what it did. Shared by the call's blocking and asynchronous parts.
final class ChangeLog: Sendable {
    private let logger: Logger
    private let state = Mutex(DataPathChanges())

    init(logger: Logger) { self.logger = logger }

    var changes: DataPathChanges { state.withLock { $0 } }

    /// Performs one kernel write described by `description`; a failure becomes a
    /// ``GatewayDataPathError`` naming it, a success is recorded.
    func write<T>(_ description: String, _ body: () throws -> T) throws(GatewayDataPathError) -> T {
        let result: T
        do {
            result = try body()
        } catch {
            throw GatewayDataPathError.wrapping(error, operation: description)
        }
        record(description)
        return result
    }

    /// Records a write that was made elsewhere (an iptables restore, a rollback).
    func record(_ description: String) {
        logger.info("\(description)")
        state.withLock { $0.entries.append(description) }
    }

    /// Records every line of the restores a firewall call ran.
    func record(_ plan: FirewallPlan, in place: String) {
        for table in plan.tables {
            let lines = table.restoreInput.split(separator: "\n").dropFirst().dropLast()
            for line in lines { record("\(place): iptables-restore \(table.table): \(line)") }
        }
    }

    /// Notes that the link called `name` was created; its creation was already recorded as a write.
    func noteCreated(link name: String) {
        state.withLock { $0.createdLinks.append(name) }
    }

    func warning(_ message: String) { logger.warning("\(message)") }
}

/// Runs a read (or any step that is not itself a kernel write), naming it if it fails.
func step<T>(_ operation: String, _ body: () throws -> T) throws(GatewayDataPathError) -> T {
    do {
        return try body()
    } catch {
        throw GatewayDataPathError.wrapping(error, operation: operation)
    }
}
