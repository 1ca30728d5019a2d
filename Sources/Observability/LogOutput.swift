import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a log handler sends its finished lines.
///
/// A handler renders a whole record first and hands it over in one call, so records written by
/// concurrent tasks never interleave inside a line. Tests pass a closure that collects the lines.
public struct LogOutput: Sendable {
    private let sink: @Sendable (String) -> Void

    /// An output that gives each rendered line (without its trailing newline) to `sink`.
    public init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    /// Writes `line` followed by a newline.
    public func write(_ line: String) {
        sink(line)
    }

    /// The process's standard error, the one stream every role may log to: standard output belongs
    /// to command results (a CNI plugin's reply, `egressgw version`).
    public static let standardError = LogOutput { line in
        StandardError.emit(line + "\n")
    }
}

/// Serialises writes to file descriptor 2 so that a long line is never split by another one.
private enum StandardError {
    static let lock = Mutex(())

    static func emit(_ text: String) {
        var bytes = Array(text.utf8)
        lock.withLock { _ in
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        // A closed or broken stderr cannot be reported anywhere; dropping the line is all that is left.
                        return
                    }
                }
            }
        }
    }
}
