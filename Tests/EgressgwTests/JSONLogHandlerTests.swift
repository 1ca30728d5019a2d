import Foundation
import Logging
import Testing
@testable import Observability

/// A fixed instant: 2026-07-01T09:30:05.123456789Z.
let fixedTime = LogTimestamp(seconds: 1_782_898_205, nanoseconds: 123_456_789)

private func jsonLogger(_ collector: LogCollector, label: String = "egressgw.test") -> Logger {
    Logger(label: label) { label in
        JSONLogHandler(label: label, level: .trace, output: collector.output, clock: { fixedTime })
    }
}

/// Parses one line as a JSON object with an independent decoder (Foundation's).
private func object(_ line: String) throws -> [String: Any] {
    let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
    return try #require(parsed as? [String: Any])
}

@Suite("JSON log handler")
struct JSONLogHandlerTests {
    @Test("a record is one line of valid JSON with the fixed fields first")
    func fixedFields() throws {
        let collector = LogCollector()
        jsonLogger(collector).info("gateway ready")
        let line = try #require(collector.lines.first)
        #expect(collector.lines.count == 1)
        #expect(!line.contains("\n"))
        #expect(line == #"{"time":"2026-07-01T09:30:05.123456Z","level":"info","logger":"egressgw.test","message":"gateway ready"}"#)
        let fields = try object(line)
        #expect(fields["level"] as? String == "info")
    }

    @Test("quotes, backslashes, newlines, control characters and unicode are escaped correctly")
    func escaping() throws {
        let collector = LogCollector()
        let message = "say \"hi\"\\ back\nnext\tline\r\u{01}\u{1F} café 🚀 ✓ \u{2028}"
        jsonLogger(collector, label: "label \"quoted\"").warning("\(message)", metadata: ["path\n": "C:\\dir"])
        let line = try #require(collector.lines.first)
        #expect(!line.contains("\n"))
        #expect(line.contains(#"say \"hi\"\\ back\nnext\tline\r\u0001\u001f café 🚀 ✓ \u2028"#))
        let fields = try object(line)
        #expect(fields["message"] as? String == message)
        #expect(fields["logger"] as? String == "label \"quoted\"")
        #expect(fields["path\n"] as? String == "C:\\dir")
    }

    @Test("metadata is flattened into the record, sorted, with nested values kept as JSON")
    func metadataNesting() throws {
        let collector = LogCollector()
        var logger = jsonLogger(collector)
        logger[metadataKey: "node"] = "aks-worker-0"
        logger.debug("peer added", metadata: [
            "pod": ["name": "web-0", "namespace": "default", "ips": ["10.0.0.4", "fd00::4"]],
            "attempt": .stringConvertible(3),
            "gateway": "gw-a",
        ])
        let line = try #require(collector.lines.first)
        #expect(line == #"{"time":"2026-07-01T09:30:05.123456Z","level":"debug","logger":"egressgw.test","message":"peer added","#
            + #""attempt":"3","gateway":"gw-a","node":"aks-worker-0","#
            + #""pod":{"ips":["10.0.0.4","fd00::4"],"name":"web-0","namespace":"default"}}"#)
        let fields = try object(line)
        let pod = try #require(fields["pod"] as? [String: Any])
        #expect(pod["ips"] as? [String] == ["10.0.0.4", "fd00::4"])
        #expect(fields["node"] as? String == "aks-worker-0")
    }

    @Test("call metadata overrides the provider's, which overrides the handler's")
    func metadataPrecedence() throws {
        let collector = LogCollector()
        let provider = Logger.MetadataProvider { ["source": "provider", "request": "r1"] }
        var logger = Logger(label: "egressgw.test") { label in
            JSONLogHandler(label: label, output: collector.output, metadataProvider: provider, clock: { fixedTime })
        }
        logger[metadataKey: "source"] = "handler"
        logger[metadataKey: "role"] = "gateway"
        logger.info("x", metadata: ["request": "call"])
        let fields = try object(try #require(collector.lines.first))
        #expect(fields["source"] as? String == "provider")
        #expect(fields["request"] as? String == "call")
        #expect(fields["role"] as? String == "gateway")
    }

    @Test("a metadata key equal to a fixed field does not shadow it")
    func reservedKeys() throws {
        let collector = LogCollector()
        jsonLogger(collector).error("boom", metadata: ["level": "fake", "message": "other"])
        let fields = try object(try #require(collector.lines.first))
        #expect(fields["level"] as? String == "error")
        #expect(fields["message"] as? String == "boom")
        #expect(fields["metadata.level"] as? String == "fake")
        #expect(fields["metadata.message"] as? String == "other")
    }

    @Test("records below the handler's level are not written")
    func levelFilter() {
        let collector = LogCollector()
        let logger = Logger(label: "egressgw.test") { label in
            JSONLogHandler(label: label, level: .warning, output: collector.output, clock: { fixedTime })
        }
        logger.info("dropped")
        logger.warning("kept")
        #expect(collector.lines.count == 1)
        #expect(collector.lines.first?.contains("kept") == true)
    }

    @Test("the error of a log event is rendered as its description")
    func errorField() throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "add link \"wg0\": already exists" } }
        let record = LogRecord(time: fixedTime, level: .error, label: "egressgw.test", message: "failed",
                               metadata: ["error": "shadowed"], error: Refused())
        let fields = try object(JSONLogHandler.render(record))
        #expect(fields["error"] as? String == "add link \"wg0\": already exists")
        #expect(fields["metadata.error"] as? String == "shadowed")
    }
}
