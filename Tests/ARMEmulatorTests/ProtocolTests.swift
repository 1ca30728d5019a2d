import ARMEmulator
import HTTPClient
import Testing

/// ARM's protocol: IDs, errors, api-versions, ETags, long-running operations, paging, faults and the log.
@Suite struct ProtocolTests {
    let lbPath = Harness.network("loadBalancers", "kubeegressgateway-ilb")

    @Test func resourceIDsAreCaseInsensitiveAndKeepTheirSpelling() async throws {
        try await Harness.with { arm in
            let created = try await arm.put(lbPath, Harness.loadBalancer())
            #expect(created.status == 201, "\(created)")
            let shouted = try await arm.get(lbPath.uppercased())
            #expect(shouted.status == 200, "\(shouted)")
            #expect(shouted["id"]?.stringValue == lbPath)
            #expect(shouted["name"]?.stringValue == "kubeegressgateway-ilb")
            let lowered = try await arm.get(lbPath.lowercased())
            #expect(lowered["etag"] == created["etag"])
        }
    }

    @Test func errorsUseTheARMEnvelopeAndCodes() async throws {
        try await Harness.with { arm in
            let missing = try await arm.get(Harness.network("loadBalancers", "nope"))
            #expect(missing.status == 404)
            #expect(missing.errorCode == "ResourceNotFound")
            #expect(missing["error", "message"]?.stringValue?.contains("Microsoft.Network/loadBalancers/nope") == true)
            let noGroup = try await arm.get("/subscriptions/\(Harness.subscription)/resourceGroups/other/providers/Microsoft.Network/loadBalancers/x")
            #expect(noGroup.status == 404 && noGroup.errorCode == "ResourceGroupNotFound", "\(noGroup)")
            let garbage = try await arm.request(.put, lbPath, rawBody: Array("{not json".utf8))
            #expect(garbage.status == 400 && garbage.errorCode == "InvalidRequestFormat", "\(garbage)")
            var noLocation = Harness.loadBalancer()
            noLocation["location"] = nil
            let located = try await arm.put(lbPath, noLocation)
            #expect(located.status == 400 && located.errorCode == "LocationRequired", "\(located)")
        }
    }

    @Test func apiVersionIsRequiredAndChecked() async throws {
        try await Harness.with { arm in
            let none = try await arm.get(lbPath, api: nil)
            #expect(none.status == 400 && none.errorCode == "MissingApiVersionParameter", "\(none)")
            let wrong = try await arm.get(lbPath, api: Harness.compute)
            #expect(wrong.status == 400 && wrong.errorCode == "NoRegisteredProviderFound", "\(wrong)")
            // The scale-set NIC GET keeps the old Network version the Go SDK pins, under `microsoft.Compute`.
            let nic = "\(Harness.scaleSetPath)/virtualMachines/0/networkInterfaces/aks-gw-12345678-vmss"
                .replacingOccurrences(of: "Microsoft.Compute", with: "microsoft.Compute")
            #expect(try await arm.get(nic, api: Harness.scaleSetNIC).status == 200)
            #expect(try await arm.get(nic, api: Harness.network).errorCode == "NoRegisteredProviderFound")
        }
    }

    @Test func ifMatchWithAStaleETagIsRefusedWith412() async throws {
        try await Harness.with { arm in
            let first = try await arm.put(lbPath, Harness.loadBalancer())
            let etag = try #require(first["etag"]?.stringValue)
            #expect(first.headers["ETag"] == etag)
            let second = try await arm.put(lbPath, Harness.loadBalancer(), headers: [("If-Match", etag)])
            #expect(second.status == 200, "\(second)")
            #expect(second["etag"]?.stringValue != etag)
            let stale = try await arm.put(lbPath, Harness.loadBalancer(), headers: [("If-Match", etag)])
            #expect(stale.status == 412 && stale.errorCode == "PreconditionFailed", "\(stale)")
            let absent = try await arm.put(Harness.network("loadBalancers", "other"), Harness.loadBalancer("other"),
                                           headers: [("If-Match", etag)])
            #expect(absent.status == 412)
            let exclusive = try await arm.put(lbPath, Harness.loadBalancer(), headers: [("If-None-Match", "*")])
            #expect(exclusive.status == 412)
        }
    }

    @Test func longRunningPutAndDeleteFinishAfterTheConfiguredPolls() async throws {
        try await Harness.with({ $0.operationPolls = 3 }) { arm in
            let created = try await arm.put(lbPath, Harness.loadBalancer())
            #expect(created.status == 201)
            #expect(created["properties", "provisioningState"]?.stringValue == "Creating")
            let status = try #require(created.headers["Azure-AsyncOperation"])
            #expect(created.headers["Retry-After"] == "0")
            let busy = try await arm.put(lbPath, Harness.loadBalancer())
            #expect(busy.status == 409 && busy.errorCode == "AnotherOperationInProgress", "\(busy)")
            for _ in 1...2 {
                #expect(try await arm.request(.get, status, api: nil)["status"]?.stringValue == "InProgress")
                #expect(try await arm.get(lbPath)["properties", "provisioningState"]?.stringValue == "Creating")
            }
            #expect(try await arm.request(.get, status, api: nil)["status"]?.stringValue == "Succeeded")
            #expect(try await arm.get(lbPath)["properties", "provisioningState"]?.stringValue == "Succeeded")

            let deleting = try await arm.delete(lbPath)
            #expect(deleting.status == 202, "\(deleting)")
            let location = try #require(deleting.headers["Location"])
            #expect(deleting.headers["Azure-AsyncOperation"] != nil)
            #expect(try await arm.request(.get, location, api: nil).status == 202)
            #expect(try await arm.get(lbPath)["properties", "provisioningState"]?.stringValue == "Deleting")
            #expect(try await arm.request(.get, location, api: nil).status == 202)
            #expect(try await arm.request(.get, location, api: nil).status == 204)
            #expect(try await arm.get(lbPath).status == 404)
            #expect(try await arm.delete(lbPath).status == 204)
        }
    }

    @Test func anOperationCanEndFailedWithItsError() async throws {
        try await Harness.with({ $0.operationPolls = 1 }) { arm in
            arm.emulator.enqueue(.failOperation, for: .writes)
            let created = try await arm.put(lbPath, Harness.loadBalancer())
            let status = try #require(created.headers["Azure-AsyncOperation"])
            let polled = try await arm.request(.get, status, api: nil)
            #expect(polled["status"]?.stringValue == "Failed")
            #expect(polled["error", "code"]?.stringValue == "InternalServerError")
            #expect(try await arm.get(lbPath)["properties", "provisioningState"]?.stringValue == "Failed")
        }
    }

    @Test func listsArePagedThroughNextLink() async throws {
        try await Harness.with({ $0.pageSize = 2 }) { arm in
            for index in 0..<5 {
                let answer = try await arm.put(Harness.network("publicIPAddresses", "pip-\(index)"), [
                    "location": "eastus", "sku": ["name": "Standard"],
                    "properties": ["publicIPAllocationMethod": "Static"],
                ])
                #expect(answer.status == 201, "\(answer)")
            }
            let (items, pages) = try await arm.listAll("\(Harness.groupPath)/providers/Microsoft.Network/publicIPAddresses")
            #expect(pages == 3)
            #expect(items.compactMap { $0["name"]?.stringValue } == (0..<5).map { "pip-\($0)" })
        }
    }

    @Test func throttlingAnswers429WithRetryAfterThenRecovers() async throws {
        try await Harness.with { arm in
            arm.emulator.enqueue(.throttle(retryAfterSeconds: 7), for: .reads)
            let throttled = try await arm.get(Harness.scaleSetPath, api: Harness.compute)
            #expect(throttled.status == 429 && throttled.errorCode == "TooManyRequests", "\(throttled)")
            #expect(throttled.headers["Retry-After"] == "7")
            #expect(try await arm.get(Harness.scaleSetPath, api: Harness.compute).status == 200)
            arm.emulator.enqueue(.internalError)
            #expect(try await arm.get(Harness.scaleSetPath, api: Harness.compute).errorCode == "InternalServerError")
        }
    }

    @Test func aScriptedFaultCanHitOneMethodAndPathOnly() async throws {
        try await Harness.with { arm in
            try await arm.put(lbPath, Harness.loadBalancer())
            arm.emulator.enqueue(.error(status: 403, code: "AuthorizationFailed", message: "no delete for you"),
                                 for: .request(method: "DELETE", pathSuffix: "/LOADBALANCERS/kubeegressgateway-ilb"))
            #expect(try await arm.get(Harness.scaleSetPath, api: Harness.compute).status == 200)
            #expect(try await arm.get(lbPath).status == 200)
            let refused = try await arm.delete(lbPath)
            #expect(refused.status == 403 && refused.errorCode == "AuthorizationFailed", "\(refused)")
            #expect(refused["error", "message"]?.stringValue == "no delete for you")
            #expect(try await arm.get(lbPath).status == 200)
            #expect(try await arm.delete(lbPath).status == 200)
        }
    }

    @Test func aDroppedConnectionIsATransportError() async throws {
        try await Harness.with { arm in
            arm.emulator.enqueue(.dropConnection)
            var dropped = false
            do { _ = try await arm.get(Harness.scaleSetPath, api: Harness.compute) } catch is HTTPClientError { dropped = true }
            #expect(dropped)
            #expect(try await arm.get(Harness.scaleSetPath, api: Harness.compute).status == 200)
        }
    }

    @Test func theRequestLogCountsWritesByKind() async throws {
        try await Harness.with { arm in
            arm.emulator.clearRequestLog()
            try await arm.put(lbPath, Harness.loadBalancer())
            try await arm.put(lbPath, Harness.loadBalancer())
            try await arm.get(lbPath)
            try await arm.delete(lbPath)
            #expect(arm.emulator.writeCount(.loadBalancer) == 3)
            #expect(arm.emulator.writeCount(.scaleSet) == 0)
            #expect(arm.emulator.requestLog.map(\.status) == [201, 200, 200, 200])
            #expect(arm.emulator.requestLog.first?.description == "PUT \(lbPath) → 201")
        }
    }

    @Test func operationsCanBeAnnouncedByLocationAlone() async throws {
        try await Harness.with({
            $0.operationPolls = 2
            $0.operationStyle = .location
        }) { arm in
            let accepted = try await arm.put(lbPath, Harness.loadBalancer())
            #expect(accepted.status == 202 && accepted.json == nil, "\(accepted)")
            #expect(accepted.headers["Azure-AsyncOperation"] == nil)
            let location = try #require(accepted.headers["Location"])
            #expect(location.contains("/operationResults/"))
            #expect(try await arm.request(.get, location, api: nil).status == 202)
            let done = try await arm.request(.get, location, api: nil)
            #expect(done.status == 200 && done["properties", "provisioningState"]?.stringValue == "Succeeded", "\(done)")
            let deleting = try await arm.delete(lbPath)
            #expect(deleting.status == 202 && deleting.headers["Azure-AsyncOperation"] == nil && deleting.headers["Location"] != nil)
        }
    }

    @Test func faultsImitateWhatIsNotARM() async throws {
        try await Harness.with { arm in
            arm.emulator.enqueue(.unavailable(retryAfterSeconds: 3))
            let unavailable = try await arm.get(Harness.scaleSetPath, api: Harness.compute)
            #expect(unavailable.status == 503 && unavailable.errorCode == "ServerBusy" && unavailable.headers["Retry-After"] == "3")

            let whole = try await arm.client.execute(HTTPRequest(url: arm.url + Harness.scaleSetPath + "?api-version=\(Harness.compute)"))
            arm.emulator.enqueue(.truncateBody)
            let cut = try await arm.client.execute(HTTPRequest(url: arm.url + Harness.scaleSetPath + "?api-version=\(Harness.compute)"))
            #expect(cut.status == 200 && ARMValue(json: cut.body) == nil)
            #expect(cut.body.count == whole.body.count / 2 && !cut.body.isEmpty)

            arm.emulator.enqueue(.foreignAnswer(status: 200, contentType: "text/html", body: "<html>proxy</html>"))
            let foreign = try await arm.client.execute(HTTPRequest(url: arm.url + Harness.scaleSetPath + "?api-version=\(Harness.compute)"))
            #expect(foreign.status == 200 && foreign.headers["Content-Type"] == "text/html")
            #expect(String(decoding: foreign.body, as: UTF8.self) == "<html>proxy</html>")
        }
    }

    @Test func theRequestLogKeepsWriteBodiesAndIfMatch() async throws {
        try await Harness.with { arm in
            let created = try await arm.put(lbPath, Harness.loadBalancer())
            let etag = try #require(created["etag"]?.stringValue)
            try await arm.put(lbPath, Harness.loadBalancer(), headers: [("If-Match", etag)])
            let writes = arm.emulator.requestLog.filter(\.isWrite)
            #expect(writes.map(\.ifMatch) == [nil, etag])
            #expect(writes.last?.body == Harness.loadBalancer())
            #expect(arm.emulator.requestLog.filter { !$0.isWrite }.allSatisfy { $0.body == nil })
        }
    }
}
