import Logging
import Synchronization

extension LoggingSystem {
    /// Makes every `Logger` of the process write in `format` at `level` and above to `output`.
    ///
    /// swift-log allows one bootstrap per process and traps on a second. This helper may be called
    /// more than once (a role entry and a test in the same process, say): the first call installs
    /// the handlers, later calls change nothing and return `false`.
    @discardableResult
    public static func bootstrap(format: LogFormat, level: Logger.Level, output: LogOutput = .standardError,
                                 metadataProvider: Logger.MetadataProvider? = nil) -> Bool {
        guard BootstrapOnce.claim() else { return false }
        bootstrap({ label, provider in
            format.handler(label: label, level: level, output: output, metadataProvider: provider)
        }, metadataProvider: metadataProvider)
        return true
    }
}

/// Remembers whether this process has bootstrapped logging, which swift-log cannot be asked.
private enum BootstrapOnce {
    static let done = Mutex(false)

    /// True for exactly one caller per process.
    static func claim() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
