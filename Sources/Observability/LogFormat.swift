import Logging

/// How log records are written: one JSON object per line for log collectors, or text for people.
public enum LogFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    /// One JSON object per line (see ``JSONLogHandler``); the format for pods, whose logs a collector parses.
    case json
    /// Aligned human-readable text (see ``ConsoleLogHandler``); the format for a terminal.
    case console

    public var description: String { rawValue }
}

extension LogFormat {
    /// A handler of this format for the logger named `label`.
    public func handler(label: String, level: Logger.Level, output: LogOutput = .standardError,
                        metadataProvider: Logger.MetadataProvider? = nil) -> any LogHandler {
        switch self {
        case .json: JSONLogHandler(label: label, level: level, output: output, metadataProvider: metadataProvider)
        case .console: ConsoleLogHandler(label: label, level: level, output: output, metadataProvider: metadataProvider)
        }
    }
}
