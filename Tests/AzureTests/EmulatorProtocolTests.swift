import ARMEmulator
import Foundation
import Testing
@testable import Azure

/// ARM's protocol against the emulator over HTTP: long-running operations in both styles, paging, retries,
/// throttling per class, ETag conflicts and unknown members. Faults come from the emulator's injection and what
/// happened is read from its request log, never from timing.
@Suite("ARM protocol against the emulator")
struct EmulatorProtocolTests {
    static let group = EmulatedFabric.group
    static let lbName = "kubeegressgateway-ilb"
    static var lbID: String { EmulatedFabric.networkID("loadBalancers", lbName) }

    static func loadBalancer() -> LoadBalancer {
        var lb = LoadBalancer(name: lbName, location: "eastus")
        lb.frontendIPConfigurations = [FrontendIPConfiguration(name: "fe", subnetID: EmulatedFabric.subnetID)]
        lb.backendAddressPools = [BackendAddressPool(name: "fe")]
        return lb
    }

    // MARK: Long-running operations

    /// The client waits an hour between polls unless ARM says otherwise: finishing at all proves it followed the
    /// emulator's `Retry-After: 0`.
    @Test("PUT and DELETE through Azure-AsyncOperation, polled as Retry-After says", .timeLimit(.minutes(1)))
    func asyncOperation() async throws {
        try await EmulatedFabric.with({ $0.operationPolls = 3 }) { fabric in
            let arm = try fabric.client(pollInterval: .seconds(3600))
            let created = try await arm.createOrUpdate(Self.loadBalancer(), resourceGroup: Self.group)
            #expect(created.provisioningState == "Succeeded")
            #expect(created.frontendIPConfigurations.first?.privateIPAddress?.hasPrefix("10.224.") == true)
            #expect(fabric.requests(containing: "/operations/").count == 3)
            #expect(fabric.emulator.requestLog.last?.description.hasPrefix("GET \(Self.lbID)") == true)
            fabric.emulator.clearRequestLog()
            try await arm.deleteLoadBalancer(resourceGroup: Self.group, name: Self.lbName)
            #expect(fabric.requests(containing: "/operations/").count == 3)
            #expect(fabric.requests(containing: "/operationResults/").isEmpty)
            #expect(fabric.emulator.resource(ResourceID(Self.lbID)!) == nil)
        }
    }

    @Test("PUT and DELETE through Location: 202 until done, then the resource", .timeLimit(.minutes(1)))
    func locationOperation() async throws {
        try await EmulatedFabric.with({
            $0.operationPolls = 2
            $0.operationStyle = .location
        }) { fabric in
            let arm = try fabric.client(pollInterval: .seconds(3600))
            let created = try await arm.createOrUpdate(Self.loadBalancer(), resourceGroup: Self.group)
            #expect(created.name == Self.lbName && created.provisioningState == "Succeeded")
            #expect(fabric.requests(containing: "/operationResults/").map { $0.hasSuffix("→ 202") } == [true, false])
            #expect(fabric.requests(containing: "/operations/").isEmpty)
            try await arm.deleteLoadBalancer(resourceGroup: Self.group, name: Self.lbName)
            #expect(fabric.requests(containing: "/operationResults/").count == 4)
            #expect(fabric.emulator.resource(ResourceID(Self.lbID)!) == nil)
        }
    }

    @Test("an operation that ends Failed surfaces ARM's code and message, in both polling styles", arguments: [
        ARMEmulator.OperationStyle.asyncOperation, .location,
    ])
    func failedOperation(style: ARMEmulator.OperationStyle) async throws {
        try await EmulatedFabric.with({
            $0.operationPolls = 1
            $0.operationStyle = style
        }) { fabric in
            let arm = try fabric.client()
            fabric.emulator.enqueue(.failOperation, for: .writes)
            let error = await #expect(throws: Azure.ARMError.self) {
                try await arm.createOrUpdate(Self.loadBalancer(), resourceGroup: Self.group)
            }
            guard case .operationFailed(let method, let url, let status, let code, let message) = error else {
                Issue.record("expected a failed operation, got \(String(describing: error))")
                return
            }
            #expect(method == "PUT" && url.contains(Self.lbID))
            #expect(status == "Failed" && code == "InternalServerError" && message.contains("failed in the emulated fabric"))
            #expect(message.hasSuffix("(InjectedFault: Fault injection failed this operation.)"))
            #expect("\(error!)".contains("operation Failed: InternalServerError"))

            fabric.emulator.enqueue(.failOperation, for: .writes)
            let deletion = await #expect(throws: Azure.ARMError.self) {
                try await arm.deleteLoadBalancer(resourceGroup: Self.group, name: Self.lbName)
            }
            #expect(deletion?.code == "InternalServerError")
            #expect("\(deletion!)".contains("InjectedFault"))
            guard case .operationFailed = deletion else { Issue.record("\(String(describing: deletion))"); return }
        }
    }

    // MARK: Paging, retries, throttling

    @Test("lists follow nextLink across small pages")
    func paging() async throws {
        try await EmulatedFabric.with(instances: 5, { $0.pageSize = 2 }) { fabric in
            let arm = try fabric.client()
            let instances = try await arm.virtualMachineScaleSetVMs(resourceGroup: Self.group, scaleSet: EmulatedFabric.scaleSetName)
            #expect(Set(instances.compactMap(\.instanceID)).count == 5)
            #expect(fabric.requests(containing: "/virtualMachines").count == 3)
        }
    }

    @Test("500, 503 and a dropped connection are retried, reads and writes; exhausted retries keep ARM's error")
    func retries() async throws {
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client(retries: 3)
            fabric.emulator.enqueue(.internalError, for: .reads)
            fabric.emulator.enqueue(.unavailable(retryAfterSeconds: 1), for: .reads)
            fabric.emulator.enqueue(.dropConnection, for: .reads)
            let subnet = try await arm.subnet(resourceGroup: Self.group, virtualNetwork: "aks-vnet", name: "aks-subnet")
            #expect(subnet.addressPrefix == "10.224.0.0/16")
            #expect(fabric.requests(containing: "/subnets/").map { $0.components(separatedBy: "→ ").last } == ["500", "503", "0", "200"])

            fabric.emulator.enqueue(.dropConnection, for: .writes)
            fabric.emulator.enqueue(.unavailable(retryAfterSeconds: 1), for: .writes)
            _ = try await arm.createOrUpdate(Self.loadBalancer(), resourceGroup: Self.group)
            #expect(fabric.emulator.requestLog.filter { $0.method == "PUT" }.map(\.status) == [0, 503, 201])

            let impatient = try fabric.client(retries: 1)
            fabric.emulator.enqueue(.internalError, for: .reads, count: 2)
            let error = await #expect(throws: Azure.ARMError.self) { try await impatient.loadBalancer(resourceGroup: Self.group, name: Self.lbName) }
            #expect(error?.code == "InternalServerError")
            #expect("\(error!)".contains("500 InternalServerError"))
        }
    }

    /// The computed backoff is an hour: finishing at all proves the client waited as the 503's `Retry-After: 0` said.
    @Test("a 503's Retry-After paces the retry instead of the computed backoff", .timeLimit(.minutes(1)))
    func retryAfterOn503() async throws {
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client(backoff: Backoff(initial: .seconds(3600), maximum: .seconds(3600), jitter: 0, retries: 2))
            fabric.emulator.enqueue(.unavailable(retryAfterSeconds: 0), for: .reads, count: 2)
            #expect(try await arm.virtualMachines(resourceGroup: Self.group).count == 1)
            #expect(fabric.emulator.requestLog.map(\.status) == [503, 503, 200])
        }
    }

    @Test("429 holds back its class (reads or writes) until Retry-After without reaching ARM; the other class goes on")
    func throttling() async throws {
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client()
            fabric.emulator.enqueue(.throttle(retryAfterSeconds: 600), for: .reads)
            let first = await #expect(throws: Azure.ARMError.self) { try await arm.virtualMachines(resourceGroup: Self.group) }
            guard case .throttled(_, _, let retryAfter) = first else { Issue.record("\(String(describing: first))"); return }
            #expect(retryAfter == .seconds(600))
            let held = await #expect(throws: Azure.ARMError.self) { try await arm.virtualMachines(resourceGroup: Self.group) }
            #expect("\(held!)".contains("throttled due to too many requests"))
            #expect(fabric.emulator.requestLog.filter { $0.method == "GET" }.count == 1)

            _ = try await arm.createOrUpdate(Self.loadBalancer(), resourceGroup: Self.group)
            fabric.emulator.enqueue(.throttle(retryAfterSeconds: 600), for: .writes)
            let write = await #expect(throws: Azure.ARMError.self) {
                try await arm.createOrUpdate(PublicIPPrefix(name: "p", location: "eastus", prefixLength: 31), resourceGroup: Self.group)
            }
            guard case .throttled = write else { Issue.record("\(String(describing: write))"); return }
            await #expect(throws: Azure.ARMError.self) { try await arm.deletePublicIPPrefix(resourceGroup: Self.group, name: "p") }
            #expect(fabric.emulator.requestLog.filter { $0.isWrite }.map(\.status) == [201, 429])
            // Another client (another process) is not held back by this one's throttling.
            #expect(try await fabric.client().virtualMachines(resourceGroup: Self.group).count == 1)
        }
    }

    // MARK: Concurrency and round trips

    @Test("two writers from the same read: the second gets the distinct 412 error and changes nothing")
    func etagConflict() async throws {
        try await EmulatedFabric.with { fabric in
            let arm = try fabric.client()
            let read = try await arm.virtualMachineScaleSet(resourceGroup: Self.group, name: EmulatedFabric.scaleSetName)
            func adding(_ name: String) throws -> VirtualMachineScaleSet {
                var copy = read
                var profile = try #require(copy.networkProfile)
                profile.networkInterfaceConfigurations[0].ipConfigurations.append(
                    VMSSIPConfiguration(name: name, subnetID: EmulatedFabric.subnetID, publicIPPrefixID: nil))
                copy.networkProfile = profile
                return copy
            }
            _ = try await arm.updateNetworkProfile(of: try adding("egressgateway-a"), resourceGroup: Self.group)
            let error = await #expect(throws: Azure.ARMError.self) {
                try await arm.updateNetworkProfile(of: try adding("egressgateway-b"), resourceGroup: Self.group)
            }
            guard case .preconditionFailed(_, _, let code, _) = error else { Issue.record("\(String(describing: error))"); return }
            #expect(code == "PreconditionFailed")
            #expect("\(error!)".contains("precondition failed (the resource changed since it was read)"))
            let now = try await arm.virtualMachineScaleSet(resourceGroup: Self.group, name: EmulatedFabric.scaleSetName)
            #expect(now.networkProfile?.networkInterfaceConfigurations[0].ipConfigurations.map(\.name) == ["ipconfig1", "egressgateway-a"])
        }
    }

    @Test("members the models do not know survive a real GET → modify → PUT, at every level")
    func unknownMembers() async throws {
        try await EmulatedFabric.with { fabric in
            var seeded = try #require(ARMValue(json: Self.loadBalancer().json.serialized()))
            seeded["tags"] = ["owner": "another-tool"]
            seeded[path: "properties", "futureSetting"] = ["mode": "strict", "levels": [1, 2]]
            seeded[path: "properties", "backendAddressPools"] = [["name": "fe", "properties": ["drainPeriodInSeconds": 30]]]
            try fabric.emulator.create(ResourceID(Self.lbID)!, seeded)

            let arm = try fabric.client()
            var lb = try await arm.loadBalancer(resourceGroup: Self.group, name: Self.lbName)
            var probe = Probe(name: "uid")
            probe.protocol = "Http"
            probe.port = 8082
            probe.requestPath = "/gw/uid"
            lb.probes = [probe]
            _ = try await arm.createOrUpdate(lb, resourceGroup: Self.group)

            let stored = try #require(fabric.emulator.resource(ResourceID(Self.lbID)!))
            #expect(stored["tags"] == ["owner": "another-tool"])
            #expect(stored[path: "properties", "futureSetting"] == ["mode": "strict", "levels": [1, 2]])
            #expect(stored[path: "properties", "backendAddressPools"]?.arrayValue?.first?[path: "properties", "drainPeriodInSeconds"] == 30)
            #expect(stored[path: "properties", "probes"]?.arrayValue?.count == 1)
        }
    }
}
