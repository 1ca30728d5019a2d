import Foundation
import Kube
import Testing

@Suite struct TimestampTests {
    @Test func writesRFC3339LikeTheAPIServer() throws {
        let time = try Timestamp(rfc3339: "2026-01-02T03:04:05Z")
        #expect(time.description == "2026-01-02T03:04:05Z")
        #expect(time.secondsSince1970 == 1_767_323_045)
        #expect(Timestamp(secondsSince1970: 0).description == "1970-01-01T00:00:00Z")
        #expect(Timestamp(secondsSince1970: 951_782_400).description == "2000-02-29T00:00:00Z")
        #expect(Timestamp(secondsSince1970: -1).description == "1969-12-31T23:59:59Z")
    }

    @Test func dropsFractionsAndConvertsOffsets() throws {
        #expect(try Timestamp(rfc3339: "2026-01-02T03:04:05.999Z").description == "2026-01-02T03:04:05Z")
        #expect(try Timestamp(rfc3339: "2026-01-02T05:04:05+02:00").description == "2026-01-02T03:04:05Z")
        #expect(try Timestamp(rfc3339: "2026-01-01T23:34:05-03:30").description == "2026-01-02T03:04:05Z")
    }

    @Test func microTimeKeepsEveryMicrosecond() throws {
        let time = try MicroTimestamp(rfc3339: "2026-01-02T03:04:05.123456Z")
        #expect(time.description == "2026-01-02T03:04:05.123456Z")
        #expect(time.microsecondsSince1970 == 1_767_323_045_123_456)
        #expect(try MicroTimestamp(rfc3339: "2026-01-02T03:04:05Z").description == "2026-01-02T03:04:05.000000Z")
        #expect(try MicroTimestamp(rfc3339: "2026-01-02T03:04:05.1Z").description == "2026-01-02T03:04:05.100000Z")
        #expect(try MicroTimestamp(rfc3339: "2026-01-02T03:04:05.123456789Z").description
            == "2026-01-02T03:04:05.123456Z")
        #expect(MicroTimestamp(microsecondsSince1970: -1).description == "1969-12-31T23:59:59.999999Z")
    }

    @Test func convertsDates() {
        let date = Date(timeIntervalSince1970: 1_767_323_045.123456)
        #expect(Timestamp(date).description == "2026-01-02T03:04:05Z")
        #expect(MicroTimestamp(date).microsecondsSince1970 / 1000 == 1_767_323_045_123)
        #expect(Timestamp(secondsSince1970: 10).date == Date(timeIntervalSince1970: 10))
    }

    @Test(arguments: [
        "", "2026-01-02", "2026-01-02T03:04:05", "2026-13-02T03:04:05Z", "2026-02-30T03:04:05Z",
        "2026-01-02T24:04:05Z", "2026-01-02T03:04:60Z", "2026-01-02T03:04:05.Z", "2026-01-02T03:04:05Zjunk", "26-01-02T03:04:05Z",
        "2026-01-02T03:04:05+0200",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(throws: TimestampError.self) { try Timestamp(rfc3339: text) }
        #expect(throws: TimestampError.self) { try MicroTimestamp(rfc3339: text) }
    }

    @Test func decodingErrorNamesTheValue() {
        let error = #expect(throws: DecodingError.self) {
            try decode(ObjectMeta.self, #"{"creationTimestamp": "yesterday"}"#)
        }
        #expect(String(describing: error).contains("yesterday"))
    }
}
