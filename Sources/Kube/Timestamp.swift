import Foundation

/// A Kubernetes `Time`: a UTC instant with whole seconds, written as RFC 3339 (`2026-01-02T03:04:05Z`).
///
/// The API server drops sub-second precision from these fields, so the value keeps whole seconds only: what the
/// code holds is what the server stores, and comparing a written value with the value read back works.
public struct Timestamp: RFC3339Text, Hashable, Comparable, Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int64

    public init(secondsSince1970: Int64) {
        self.secondsSince1970 = secondsSince1970
    }

    /// The instant `date`, truncated to the second.
    public init(_ date: Date) {
        secondsSince1970 = Int64(date.timeIntervalSince1970.rounded(.down))
    }

    /// The current time, truncated to the second.
    public static func now() -> Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(secondsSince1970)) }

    /// Parses RFC 3339 text; a fraction is dropped and an offset is converted to UTC, as the API server does.
    public init(rfc3339 text: String) throws(TimestampError) {
        guard let microseconds = RFC3339.parse(text) else {
            throw TimestampError(text: text, expected: "RFC 3339 time like 2026-01-02T03:04:05Z")
        }
        secondsSince1970 = microseconds.floorDivided(by: 1_000_000)
    }

    /// `2026-01-02T03:04:05Z`.
    public var description: String { RFC3339.format(microseconds: secondsSince1970 * 1_000_000, fractionDigits: 0) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSince1970 < rhs.secondsSince1970 }

}

/// A Kubernetes `MicroTime`: a UTC instant with microseconds, written as `2026-01-02T03:04:05.123456Z` (always six
/// fraction digits). Leases and events use it.
public struct MicroTimestamp: RFC3339Text, Hashable, Comparable, Sendable {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var microsecondsSince1970: Int64

    public init(microsecondsSince1970: Int64) {
        self.microsecondsSince1970 = microsecondsSince1970
    }

    /// The instant `date`, truncated to the microsecond.
    public init(_ date: Date) {
        microsecondsSince1970 = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
    }

    /// The current time, truncated to the microsecond.
    public static func now() -> MicroTimestamp { MicroTimestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: TimeInterval(microsecondsSince1970) / 1_000_000) }

    /// Parses RFC 3339 text with or without a fraction; digits past the sixth are dropped.
    public init(rfc3339 text: String) throws(TimestampError) {
        guard let microseconds = RFC3339.parse(text) else {
            throw TimestampError(text: text, expected: "RFC 3339 time like 2026-01-02T03:04:05.123456Z")
        }
        microsecondsSince1970 = microseconds
    }

    /// `2026-01-02T03:04:05.123456Z`.
    public var description: String { RFC3339.format(microseconds: microsecondsSince1970, fractionDigits: 6) }

    public static func < (lhs: MicroTimestamp, rhs: MicroTimestamp) -> Bool {
        lhs.microsecondsSince1970 < rhs.microsecondsSince1970
    }

}

/// A time value that is not RFC 3339 text.
/// A time that travels as RFC 3339 text: both Kubernetes time types decode and encode the same way
/// and differ only in how many fraction digits they keep.
public protocol RFC3339Text: Codable, CustomStringConvertible {
    init(rfc3339 text: String) throws(TimestampError)
}

extension RFC3339Text {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(rfc3339: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

public struct TimestampError: Error, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let expected: String

    public var description: String { "invalid time \"\(text)\": expected \(expected)" }
}

/// RFC 3339 on a proleptic Gregorian calendar, with integer arithmetic only (no formatter objects, no locale, no
/// floating point), so that every microsecond survives a parse and a format.
enum RFC3339 {
    /// Microseconds since 1970 of an RFC 3339 time; `nil` when the text is not one.
    static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + digits] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += digits
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt"), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
            let second = number(2)
        else { return nil }
        guard (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day), hour < 24,
            minute < 60, second < 60
        else { return nil }
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                if digits < 6 { micros = micros * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if expect("Zz") {
            offsetSeconds = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24,
                offsetMinutes < 60
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = daysSince1970(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return seconds * 1_000_000 + micros
    }

    static func format(microseconds: Int64, fractionDigits: Int) -> String {
        let seconds = microseconds.floorDivided(by: 1_000_000)
        let micros = microseconds - seconds * 1_000_000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSince1970: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if fractionDigits > 0 {
            text += "." + pad(micros, 6)
        }
        return text + "Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    private static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the given civil date (H. Hinnant's days-from-civil algorithm).
    private static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let monthIndex = (month + 9) % 12
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of `daysSince1970`.
    private static func civilDate(daysSince1970 days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so that instants before 1970 split into seconds correctly.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
