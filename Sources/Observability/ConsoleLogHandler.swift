import Logging

/// The console format, for people at a terminal:
/// `2026-07-01T09:30:05.123456Z info     egressgw.cni: pod added gateway=gw1 pod.name=web-0`.
///
/// Metadata follows the message as sorted `key=value` pairs; nested dictionaries become dotted keys,
/// and values with spaces, quotes or `=` are quoted so the pairs stay unambiguous.
public enum ConsoleLines: LogLineRenderer {
    /// The line for `record`, without a trailing newline.
    public static func render(_ record: LogRecord) -> String {
        let level = record.level.rawValue
        var line = record.time.rfc3339 + " " + level + String(repeating: " ", count: max(1, 9 - level.count))
            + record.label + ": " + record.message
        if let error = record.error {
            line.append(" error=" + quotedIfNeeded(String(describing: error)))
        }
        var pairs: [(String, String)] = []
        for key in record.metadata.keys.sorted() {
            flatten(record.metadata[key]!, key: key, into: &pairs)
        }
        for (key, value) in pairs {
            line.append(" " + key + "=" + value)
        }
        return line
    }

    private static func flatten(_ value: Logger.MetadataValue, key: String, into pairs: inout [(String, String)]) {
        switch value {
        case .dictionary(let dictionary):
            for nestedKey in dictionary.keys.sorted() {
                flatten(dictionary[nestedKey]!, key: key + "." + nestedKey, into: &pairs)
            }
        case .array(let elements):
            pairs.append((key, "[" + elements.map { quotedIfNeeded($0.description) }.joined(separator: ",") + "]"))
        case .string(let text):
            pairs.append((key, quotedIfNeeded(text)))
        case .stringConvertible(let convertible):
            pairs.append((key, quotedIfNeeded(convertible.description)))
        }
    }

    private static func quotedIfNeeded(_ text: String) -> String {
        let plain = !text.isEmpty && !text.unicodeScalars.contains { scalar in
            scalar.value <= 0x20 || scalar == "\"" || scalar == "=" || scalar == "\\"
        }
        if plain { return text }
        var quoted = ""
        JSONText.appendString(text, to: &quoted)
        return quoted
    }
}

/// A swift-log handler writing ``ConsoleLines``.
public typealias ConsoleLogHandler = LineLogHandler<ConsoleLines>
