import Logging

/// Writes JSON text for the log handler: strings with RFC 8259 escaping and metadata values with
/// dictionary keys in sorted order, so the same record always renders to the same bytes.
enum JSONText {
    /// Appends `value` as a JSON string literal.
    ///
    /// Quotes, backslashes and control characters are escaped (`\n`, `\t`, … or `\u00XX`); other
    /// characters, including non-ASCII ones, are written as UTF-8. U+2028 and U+2029 are escaped too:
    /// they are valid in JSON but end a line for JavaScript-based log viewers.
    static func appendString(_ value: String, to out: inout String) {
        out.append("\"")
        if !value.unicodeScalars.contains(where: needsEscape) {
            out.append(value)
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out.append("\\\"")
                case "\\": out.append("\\\\")
                case "\n": out.append("\\n")
                case "\r": out.append("\\r")
                case "\t": out.append("\\t")
                case "\u{08}": out.append("\\b")
                case "\u{0C}": out.append("\\f")
                case _ where needsEscape(scalar): out.append(unicodeEscape(scalar.value))
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }

    /// Appends a metadata value: strings and string-convertibles as JSON strings, dictionaries as
    /// objects with sorted keys, arrays as arrays.
    static func appendValue(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let text):
            appendString(text, to: &out)
        case .stringConvertible(let convertible):
            appendString(convertible.description, to: &out)
        case .dictionary(let dictionary):
            out.append("{")
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out.append(",") }
                appendString(key, to: &out)
                out.append(":")
                appendValue(dictionary[key]!, to: &out)
            }
            out.append("}")
        case .array(let elements):
            out.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(",") }
                appendValue(element, to: &out)
            }
            out.append("]")
        }
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar == "\"" || scalar == "\\" || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: false)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
