import Observability
import Synchronization

/// A `LogOutput` that keeps the lines in memory, so tests read exactly what a handler wrote.
final class LogCollector: Sendable {
    private let storage = Mutex<[String]>([])

    var lines: [String] { storage.withLock { $0 } }

    var output: LogOutput {
        LogOutput { line in self.storage.withLock { $0.append(line) } }
    }
}
