import ARMEmulator
import Foundation
import Testing
@testable import Azure

/// What reaches the client is not always ARM: proxies answer HTML, connections break mid-body, a front end sends
/// the wrong document. Each must be a typed error that names the URL and what was wrong, never a resource read out
/// of garbage.
@Suite("Unparsable ARM answers")
struct BadAnswerTests {
    static let json = "application/json; charset=utf-8"

    func malformed(_ error: Azure.ARMError?) -> (url: String, detail: String)? {
        guard case .malformed(_, let url, let detail) = error else { return nil }
        return (url, detail)
    }

    @Test("a single resource: HTML, JSON cut short, an array, an empty body")
    func resource() async throws {
        let cases: [(ARMEmulator.Fault, String)] = [
            (.foreignAnswer(status: 200, contentType: "text/html", body: "<html><body>Sign in to the proxy</body></html>"),
             "not JSON (text/html): <html><body>Sign in to the proxy"),
            (.truncateBody, "not JSON (\(Self.json)): {"),
            (.foreignAnswer(status: 200, contentType: Self.json, body: "[1, 2]"), "want a JSON object, found an array: [1, 2]"),
            (.foreignAnswer(status: 200, contentType: Self.json, body: "\"ok\""), "want a JSON object, found a string"),
            (.foreignAnswer(status: 200, contentType: Self.json, body: ""), "empty body, want a JSON object"),
        ]
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client()
            for (fault, expected) in cases {
                fabric.emulator.enqueue(fault, for: .reads)
                let error = await #expect(throws: Azure.ARMError.self) {
                    try await arm.subnet(resourceGroup: EmulatedFabric.group, virtualNetwork: "aks-vnet", name: "aks-subnet")
                }
                let found = try #require(malformed(error), "\(fault): \(String(describing: error))")
                #expect(found.url == "\(fabric.url)\(EmulatedFabric.subnetID)?api-version=2025-05-01")
                #expect(found.detail.hasPrefix(expected), "\(fault)")
                #expect("\(error!)".contains("unexpected answer"))
            }
            // The client did not retry or cache any of it: the next read is ARM's answer.
            #expect(try await arm.subnet(resourceGroup: EmulatedFabric.group, virtualNetwork: "aks-vnet", name: "aks-subnet")
                .addressPrefix == "10.224.0.0/16")
        }
    }

    @Test("a list page whose value is not an array of objects")
    func listPage() async throws {
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client()
            for (body, expected) in [(#"{"value":{"name":"x"}}"#, "value is not an array"), (#"{"value":[{"name":"a"},7]}"#, "value[1] is not an object")] {
                fabric.emulator.enqueue(.foreignAnswer(status: 200, contentType: Self.json, body: body), for: .reads)
                let error = await #expect(throws: Azure.ARMError.self) { try await arm.virtualMachines(resourceGroup: EmulatedFabric.group) }
                #expect(malformed(error)?.detail == expected)
                #expect(malformed(error)?.url.hasSuffix("/virtualMachines?api-version=2025-04-01") == true)
            }
        }
    }

    @Test("an operation status without a status ends the wait with an error instead of polling forever")
    func operationWithoutStatus() async throws {
        try await EmulatedFabric.with({ $0.operationPolls = 5 }) { fabric in
            let arm = try fabric.client()
            fabric.emulator.enqueue(.foreignAnswer(status: 200, contentType: Self.json, body: #"{"id":"op","name":"op"}"#), for: .reads)
            let error = await #expect(throws: Azure.ARMError.self) {
                try await arm.createOrUpdate(PublicIPPrefix(name: "p", location: "eastus", prefixLength: 31), resourceGroup: EmulatedFabric.group)
            }
            #expect(malformed(error)?.detail == "operation status document has no string status")
            #expect(malformed(error)?.url.contains("/operations/") == true)
        }
    }

    @Test("a gateway's HTML error page is retried, then reported with its status and text")
    func gatewayError() async throws {
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client(retries: 1)
            fabric.emulator.enqueue(.foreignAnswer(status: 502, contentType: "text/html", body: "<html>502 Bad Gateway</html>"),
                                    for: .reads, count: 2)
            let error = await #expect(throws: Azure.ARMError.self) { try await arm.virtualMachines(resourceGroup: EmulatedFabric.group) }
            guard case .response(_, let url, 502, "", let message) = error else { Issue.record("\(String(describing: error))"); return }
            #expect(url.hasSuffix("/virtualMachines?api-version=2025-04-01"))
            #expect(message == "<html>502 Bad Gateway</html>")
            #expect(fabric.emulator.requestLog.map(\.status) == [502, 502])
        }
    }
}
