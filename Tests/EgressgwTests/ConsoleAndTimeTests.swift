import Logging
import Testing
@testable import Observability

@Suite("Console handler, timestamps and bootstrap")
struct ConsoleAndTimeTests {
    @Test("RFC 3339 timestamps are UTC with microseconds and zero padding")
    func rfc3339() {
        #expect(fixedTime.rfc3339 == "2026-07-01T09:30:05.123456Z")
        #expect(LogTimestamp(seconds: 0, nanoseconds: 5_000).rfc3339 == "1970-01-01T00:00:00.000005Z")
        #expect(LogTimestamp(seconds: 951_782_400, nanoseconds: 0).rfc3339 == "2000-02-29T00:00:00.000000Z")
    }

    @Test("the current time formats to the fixed-width shape")
    func now() {
        let text = LogTimestamp.now().rfc3339
        #expect(text.count == 27)
        #expect(text.hasSuffix("Z"))
        #expect(Array(text)[10] == "T")
    }

    @Test("console lines show time, level, label, message and sorted key=value metadata")
    func consoleLine() {
        let collector = LogCollector()
        let logger = Logger(label: "egressgw.cni") { label in
            ConsoleLogHandler(label: label, output: collector.output, clock: { fixedTime })
        }
        logger.notice("pod added", metadata: ["pod": ["name": "web-0", "ns": "default"], "why": "two words", "n": "1"])
        #expect(collector.lines == [
            #"2026-07-01T09:30:05.123456Z notice   egressgw.cni: pod added n=1 pod.name=web-0 pod.ns=default why="two words""#
        ])
    }

    @Test("the format picks the handler")
    func formatHandler() {
        let collector = LogCollector()
        for format in LogFormat.allCases {
            let logger = Logger(label: "l") { format.handler(label: $0, level: .info, output: collector.output) }
            logger.info("m")
        }
        #expect(collector.lines.count == 2)
        #expect(collector.lines[0].hasPrefix("{\"time\":"))
        #expect(collector.lines[1].contains(" info     l: m"))
    }

    @Test("bootstrap installs once per process and is harmless when repeated")
    func bootstrapOnce() {
        let collector = LogCollector()
        let first = LoggingSystem.bootstrap(format: .json, level: .debug, output: collector.output)
        let second = LoggingSystem.bootstrap(format: .console, level: .error, output: collector.output)
        #expect(second == false)
        if first {
            Logger(label: "egressgw.bootstrap").debug("through the bootstrapped handler")
            #expect(collector.lines.contains { $0.contains("\"logger\":\"egressgw.bootstrap\"") })
        }
    }
}
