import ARMEmulator
import Testing

/// Load balancers, NICs, public IP prefixes and addresses: what ARM fills in, refuses and keeps.
@Suite struct NetworkResourceTests {
    let lbPath = Harness.network("loadBalancers", "kubeegressgateway-ilb")

    @Test func aLoadBalancerFrontendGetsTheLowestFreeSubnetAddress() async throws {
        try await Harness.with { arm in
            // Two instances hold 10.224.0.4 and .5 (the first four addresses are Azure's).
            let created = try await arm.put(lbPath, Harness.loadBalancer())
            let frontend = try #require(created["properties", "frontendIPConfigurations"]?.arrayValue?.first)
            #expect(frontend[path: "properties", "privateIPAddress"]?.stringValue == "10.224.0.6")
            #expect(frontend["id"]?.stringValue == "\(lbPath)/frontendIPConfigurations/pool-1")
            let rule = try #require(created["properties", "loadBalancingRules"]?.arrayValue?.first)
            #expect(rule[path: "properties", "idleTimeoutInMinutes"]?.integerValue == 4)
            // The address stays with the frontend across updates.
            let again = try await arm.put(lbPath, Harness.loadBalancer())
            #expect(again["properties", "frontendIPConfigurations"]?.arrayValue?.first?[path: "properties", "privateIPAddress"]
                == "10.224.0.6")
            let pool = try #require(again["properties", "backendAddressPools"]?.arrayValue?.first)
            #expect(pool[path: "properties", "loadBalancingRules"]?.arrayValue?.count == 1)
        }
    }

    @Test func unknownPropertiesSurviveAPut() async throws {
        try await Harness.with { arm in
            var body = Harness.loadBalancer()
            body[path: "properties", "futureSetting"] = ["enabled": true]
            body["extendedLocation"] = ["name": "edge-1", "type": "EdgeZone"]
            try await arm.put(lbPath, body)
            let read = try await arm.get(lbPath)
            #expect(read["properties", "futureSetting", "enabled"] == true)
            #expect(read["extendedLocation", "name"]?.stringValue == "edge-1")
        }
    }

    @Test func memberNamesMatchWhateverTheirCase() async throws {
        try await Harness.with { arm in
            let body: ARMValue = [
                "Location": "eastus",
                "Properties": ["PrefixLength": 31, "PublicIPAddressVersion": "IPv4"],
            ]
            let created = try await arm.put(Harness.network("publicIPPrefixes", "mixed"), body)
            #expect(created.status == 201, "\(created)")
            #expect(created["properties", "ipPrefix"]?.stringValue == "203.0.113.0/31")
        }
    }

    @Test func referencesToMissingResourcesAreRefused() async throws {
        try await Harness.with { arm in
            var badProbe = Harness.loadBalancer()
            var rules = try #require(badProbe[path: "properties", "loadBalancingRules"]?.arrayValue)
            rules[0][path: "properties", "probe", "id"] = .string("\(lbPath)/probes/missing")
            badProbe[path: "properties", "loadBalancingRules"] = .array(rules)
            let refused = try await arm.put(lbPath, badProbe)
            #expect(refused.status == 400 && refused.errorCode == "InvalidResourceReference", "\(refused)")

            var badSubnet = Harness.loadBalancer()
            var frontends = try #require(badSubnet[path: "properties", "frontendIPConfigurations"]?.arrayValue)
            frontends[0][path: "properties", "subnet", "id"] = .string(Harness.subnetID + "-gone")
            badSubnet[path: "properties", "frontendIPConfigurations"] = .array(frontends)
            #expect(try await arm.put(lbPath, badSubnet).errorCode == "InvalidResourceReference")

            var noProtocol = Harness.loadBalancer()
            rules[0][path: "properties", "protocol"] = nil
            noProtocol[path: "properties", "loadBalancingRules"] = .array(rules)
            #expect(try await arm.put(lbPath, noProtocol).errorCode == "InvalidRequestFormat")
            #expect(try await arm.get(lbPath).status == 404)
        }
    }

    @Test func prefixesAndTheirAddressesComeFromTheDocumentationPool() async throws {
        try await Harness.with { arm in
            let prefixPath = Harness.network("publicIPPrefixes", "egressgateway-uid")
            let prefix = try await arm.put(prefixPath, [
                "location": "eastus", "sku": ["name": "Standard", "tier": "Regional"],
                "properties": ["prefixLength": 30, "publicIPAddressVersion": "IPv4"],
            ])
            #expect(prefix["properties", "ipPrefix"]?.stringValue == "203.0.113.0/30")
            let second = try await arm.put(Harness.network("publicIPPrefixes", "other"), [
                "location": "eastus", "properties": ["prefixLength": 31],
            ])
            #expect(second["properties", "ipPrefix"]?.stringValue == "203.0.113.4/31")
            let pipPath = Harness.network("publicIPAddresses", "egressgateway-uid-65d70f8df610e8df")
            let pip = try await arm.put(pipPath, [
                "location": "eastus", "sku": ["name": "Standard", "tier": "Regional"],
                "properties": ["publicIPAddressVersion": "IPv4", "publicIPAllocationMethod": "Static",
                               "publicIPPrefix": ["id": .string(prefixPath)]],
            ])
            #expect(pip["properties", "ipAddress"]?.stringValue == "203.0.113.0")
            let listed = try await arm.get(prefixPath)
            #expect(listed["properties", "publicIPAddresses"] == [["id": .string(pipPath)]])

            let inUse = try await arm.delete(prefixPath)
            #expect(inUse.status == 400 && inUse.errorCode == "InUsePublicIpPrefixCannotBeDeleted", "\(inUse)")
            #expect(try await arm.delete(pipPath).status == 200)
            #expect(try await arm.delete(prefixPath).status == 200)
        }
    }

    @Test func aNICAnswersWithReferencesOnlyAndKeepsItsAddresses() async throws {
        try await Harness.with { arm in
            try await arm.put(lbPath, Harness.loadBalancer())
            let pipPath = Harness.network("publicIPAddresses", "node-pip")
            let pip = try await arm.put(pipPath, ["location": "eastus", "properties": [:]])
            let nicPath = Harness.network("networkInterfaces", "aks-gw-nic-0")
            let primary: ARMValue = ["name": "ipconfig1", "properties": [
                "primary": true, "subnet": ["id": .string(Harness.subnetID)],
                "loadBalancerBackendAddressPools": [["id": .string("\(lbPath)/backendAddressPools/pool-1")]],
            ]]
            let first = try await arm.put(nicPath, ["location": "eastus", "tags": ["aks-managed-static-gateway-nic": "true"],
                                                    "properties": ["ipConfigurations": [primary]]])
            #expect(first.status == 201, "\(first)")
            let primaryIP = first["properties", "ipConfigurations"]?.arrayValue?.first?[path: "properties", "privateIPAddress"]
            #expect(primaryIP == "10.224.0.7")
            // The client sends the whole public IP object, as the Go operator does; ARM keeps only its id.
            let secondary: ARMValue = ["name": "egressgateway-uid", "properties": [
                "primary": false, "privateIPAddressVersion": "IPv4", "subnet": ["id": .string(Harness.subnetID)],
                "publicIPAddress": pip.json!,
            ]]
            let updated = try await arm.put(nicPath, ["location": "eastus", "properties": ["ipConfigurations": [primary, secondary]]])
            let configurations = try #require(updated["properties", "ipConfigurations"]?.arrayValue)
            #expect(configurations[0][path: "properties", "privateIPAddress"] == primaryIP)
            #expect(configurations[1][path: "properties", "privateIPAddress"]?.stringValue == "10.224.0.8")
            #expect(configurations[1][path: "properties", "publicIPAddress"] == ["id": .string(pipPath)])
            let pool = try await arm.get(lbPath)["properties", "backendAddressPools"]?.arrayValue?.first
            #expect(pool?[path: "properties", "backendIPConfigurations"]?.arrayValue?.count == 1)
            #expect(try await arm.get(pipPath)["properties", "ipConfiguration", "id"]?.stringValue
                == "\(nicPath)/ipConfigurations/egressgateway-uid")
            let pipInUse = try await arm.delete(pipPath)
            #expect(pipInUse.errorCode == "PublicIPAddressCannotBeDeleted", "\(pipInUse)")
            let lbInUse = try await arm.delete(lbPath)
            #expect(lbInUse.status == 400 && lbInUse.errorCode == "InUseBackendAddressPoolCannotBeDeleted", "\(lbInUse)")
        }
    }

    @Test func aStaticAddressMustBeFreeAndInTheSubnet() async throws {
        try await Harness.with { arm in
            func nic(_ address: String) -> ARMValue {
                ["location": "eastus", "properties": ["ipConfigurations": [["name": "ipconfig1", "properties": [
                    "privateIPAllocationMethod": "Static", "privateIPAddress": .string(address),
                    "subnet": ["id": .string(Harness.subnetID)],
                ]]]]]
            }
            let taken = try await arm.put(Harness.network("networkInterfaces", "a"), nic("10.224.0.4"))
            #expect(taken.errorCode == "PrivateIPAddressInUse", "\(taken)")
            let outside = try await arm.put(Harness.network("networkInterfaces", "a"), nic("10.9.0.4"))
            #expect(outside.errorCode == "PrivateIPAddressNotInSubnet", "\(outside)")
            #expect(try await arm.put(Harness.network("networkInterfaces", "a"), nic("10.224.3.3")).status == 201)
        }
    }
}
