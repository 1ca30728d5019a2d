import Logging

/// A swift-log handler that writes one JSON object per line.
///
/// Keys come in a fixed order: `time` (RFC 3339, UTC, microseconds), `level`, `logger` (the label),
/// `message`, `error` (only when the call passed one), then the metadata keys, sorted. Metadata is
/// flattened into the record rather than wrapped in a `metadata` object, so a collector can index
/// `pod` or `gateway` directly; nested dictionaries and arrays stay nested JSON. A metadata key
/// that would shadow one of the fixed keys is written as `metadata.<key>` instead.
public struct JSONLogHandler: LogHandler {
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
        output.write(Self.render(record))
    }

    /// The line for `record`, without a trailing newline.
    public static func render(_ record: LogRecord) -> String {
        var line = "{\"time\":\"" + record.time.rfc3339 + "\",\"level\":\"" + record.level.rawValue + "\",\"logger\":"
        JSONText.appendString(record.label, to: &line)
        line.append(",\"message\":")
        JSONText.appendString(record.message, to: &line)
        var taken: Set<String> = ["time", "level", "logger", "message"]
        if let error = record.error {
            line.append(",\"error\":")
            JSONText.appendString(String(describing: error), to: &line)
            taken.insert("error")
        }
        for key in record.metadata.keys.sorted() {
            line.append(",")
            JSONText.appendString(taken.contains(key) ? "metadata." + key : key, to: &line)
            line.append(":")
            JSONText.appendValue(record.metadata[key]!, to: &line)
        }
        line.append("}")
        return line
    }
}
