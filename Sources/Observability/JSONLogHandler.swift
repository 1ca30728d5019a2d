import Logging

/// The JSON lines format: one JSON object per record.
///
/// Keys come in a fixed order: `time` (RFC 3339, UTC, microseconds), `level`, `logger` (the label),
/// `message`, `error` (only when the call passed one), then the metadata keys, sorted. Metadata is
/// flattened into the record rather than wrapped in a `metadata` object, so a collector can index
/// `pod` or `gateway` directly; nested dictionaries and arrays stay nested JSON. A metadata key
/// that would shadow one of the fixed keys is written as `metadata.<key>` instead.
public enum JSONLines: LogLineRenderer {
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

/// A swift-log handler writing ``JSONLines``.
public typealias JSONLogHandler = LineLogHandler<JSONLines>
