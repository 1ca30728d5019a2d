import Foundation
import Kube
@testable import KubeEmulator
import Testing

@Suite struct JSONReaderTests {
    @Test func parsesWhatJSONDecoderParses() throws {
        let text = #"""
            {"a": [1, -2, 3.5, -0.25E-2, 9223372036854775807], "b": {"c": null, "d": true, "e": false},
             "s": "quote \" backslash \\ slash \/ tab \t nl \n uni \u00e9 pair \ud83d\ude00 raw é", "empty": {}, "list": []}
            """#
        let parsed = try JSONReader.parse(Array(text.utf8))
        let reference = try JSONValue(json: Data(text.utf8))
        #expect(parsed == reference)
        #expect(parsed["a"] == [1, -2, 3.5, -0.0025, .integer(Int64.max)])
        // Like Go's decoder of unstructured JSON: an exponent makes a floating-point number.
        #expect(try JSONReader.parse(Array("1e3".utf8)) == .double(1000))
        #expect(parsed["s"]?.stringValue?.hasSuffix("pair 😀 raw é") == true)
    }

    @Test func rejectsMalformedInputNamingTheOffset() {
        for text in ["", "{", "{\"a\" 1}", "[1,]", "01", "\"unterminated", "{\"a\":1} x", "tru", "[\"\u{01}\"]", "1.", "-"] {
            #expect(throws: JSONReader.SyntaxError.self, "\(text)") { try JSONReader.parse(Array(text.utf8)) }
        }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONReader.SyntaxError.self) { try JSONReader.parse(Array(deep.utf8)) }
    }

    @Test func writerOutputReadsBack() throws {
        let value: JSONValue = ["text": "line\nbreak \"quoted\" \u{07}", "n": 12, "x": 0.5, "list": [nil, true, ["k": "v"]]]
        #expect(try JSONReader.parse(JSONWriter.encode(value)) == value)
    }
}
