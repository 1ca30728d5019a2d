import Logging

/// Turns one log record into one line of text (without the newline).
public protocol LogLineRenderer: Sendable {
    static func render(_ record: LogRecord) -> String
}

/// A swift-log handler that renders each record as one line with `Renderer` and writes it to an
/// output. The formats differ only in rendering, so level filtering, metadata merging and the
/// clock live here once.
public struct LineLogHandler<Renderer: LogLineRenderer>: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let output: LogOutput
    private let clock: @Sendable () -> LogTimestamp

    /// - Parameters:
    ///   - clock: where record times come from; tests pass a fixed one.
    public init(label: String, level: Logger.Level = .info, output: LogOutput = .standardError,
                metadataProvider: Logger.MetadataProvider? = nil,
                clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now) {
        self.label = label
        self.logLevel = level
        self.output = output
        self.metadataProvider = metadataProvider
        self.clock = clock
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let record = LogRecord(event: event, label: label, handlerMetadata: metadata,
                               provider: metadataProvider, time: clock())
        output.write(Renderer.render(record))
    }

    /// The line for `record`, without a trailing newline.
    public static func render(_ record: LogRecord) -> String { Renderer.render(record) }
}
