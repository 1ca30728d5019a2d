import ARMEmulator
import Netlink

/// The Azure side of a sandbox run, laid out as AKS lays out a cluster: one subscription, the node resource
/// group with the VNet and subnet the nodes sit on, a worker scale-set pool and a gateway scale-set pool whose
/// instances are the layout's nodes (same computer names, same NIC primary IPs). A pure function of the
/// ``SandboxLayout``, so the seed, the Node objects and IMDS agree without asking the emulator.
public struct SandboxCloud: Sendable, Hashable {
    public static let subscription = "5ab0c0de-0000-4000-8000-000000000001"
    public static let tenant = "5ab0c0de-0000-4000-8000-00000000a11d"
    public static let location = "eastus"
    /// The node resource group (`MC_<group>_<cluster>_<location>`): scale sets, NICs, the VNet, the ILB, prefixes.
    public static let resourceGroup = "MC_sandbox_egressgw_eastus"
    public static let vnetName = "aks-vnet-12345678"
    public static let subnetName = "aks-subnet"
    /// The subnet spans the whole VNet, as AKS's default does; workers sit in 10.224.0.x, gateways in 10.224.1.x.
    public static let subnetPrefix = SandboxLayout.vnet
    public static let workerPool = "nodepool1"
    /// The pool `docs/samples/sgc-public.yaml` names in `gatewayNodepoolName`.
    public static let gatewayPool = "gwpool"
    public static let workerScaleSet = "aks-nodepool1-12345678-vmss"
    /// The scale set `docs/samples/sgc-private.yaml` names in `gatewayVmssProfile`.
    public static let gatewayScaleSet = "aks-gwpool-12345678-vmss"
    public static let loadBalancerName = "kubeegressgateway-ilb"
    /// Where public IP prefixes come from: TEST-NET-1, clear of the edge link (TEST-NET-2) and the echo server
    /// (TEST-NET-3) the emulator's default pool would overlap.
    public static let publicAddressPool = ["192.0.2.0/24"]
    public static let vmSize = "Standard_D2s_v3"
    /// The service principal the operator signs in as (cloud-config `aadClientId`/`aadClientSecret`).
    public static let servicePrincipalClientID = "5ab0c0de-0000-4000-8000-0000000000c1"
    /// The nodes' managed identity (the AKS kubelet identity), for a cloud config with `useManagedIdentityExtension`.
    public static let nodeIdentityClientID = "5ab0c0de-0000-4000-8000-0000000000d1"

    public let layout: SandboxLayout

    public init(layout: SandboxLayout) {
        self.layout = layout
    }

    /// The gateway pool's `aks-managed-gatewayIPPrefixSize`: the longest prefix with an address per gateway
    /// (at most /31, the smallest prefix Azure allocates).
    public var gatewayPrefixLength: Int {
        var length = 31
        while length > 24, 1 << (32 - length) < layout.gateways.count { length -= 1 }
        return length
    }

    /// The AKS pool a node belongs to.
    public func pool(of node: NodeLayout) -> String { node.role == .gateway ? Self.gatewayPool : Self.workerPool }

    public func scaleSet(of node: NodeLayout) -> String { node.role == .gateway ? Self.gatewayScaleSet : Self.workerScaleSet }

    /// The node's instance ID in its scale set: its index among the nodes of its role, as the seed creates them.
    public func instanceID(of node: NodeLayout) -> String {
        let peers = node.role == .gateway ? layout.gateways : layout.workers
        return String(peers.firstIndex(of: node) ?? 0)
    }

    public var resourceGroupID: String { "/subscriptions/\(Self.subscription)/resourceGroups/\(Self.resourceGroup)" }

    /// The ARM ID of the node's scale-set instance.
    public func resourceID(of node: NodeLayout) -> String {
        "\(resourceGroupID)/providers/Microsoft.Compute/virtualMachineScaleSets/\(scaleSet(of: node))/virtualMachines/\(instanceID(of: node))"
    }

    /// `spec.providerID` of the node's Kubernetes object: the instance ID after `azure://`, with the resource
    /// group in lower case as the Azure cloud provider writes it.
    public func providerID(of node: NodeLayout) -> String {
        let id = "/subscriptions/\(Self.subscription)/resourceGroups/\(Self.resourceGroup.lowercased())/providers/"
            + "Microsoft.Compute/virtualMachineScaleSets/\(scaleSet(of: node))/virtualMachines/\(instanceID(of: node))"
        return "azure://" + id
    }

    /// The subnet's ARM ID, as ipconfigs and the cloud config reference it.
    public var subnetID: String {
        "\(resourceGroupID)/providers/Microsoft.Network/virtualNetworks/\(Self.vnetName)/subnets/\(Self.subnetName)"
    }

    /// The ARMEmulator seed: both pools, each instance pinned to its node's name and primary IP.
    public var seed: Seed {
        func pins(_ nodes: [NodeLayout]) -> [Seed.PinnedInstance] {
            nodes.map { Seed.PinnedInstance(computerName: $0.name, primaryIP: $0.primaryIP.description) }
        }
        let subnet = "\(Self.vnetName)/\(Self.subnetName)"
        return Seed(subscription: Self.subscription, location: Self.location, resourceGroups: [
            Seed.ResourceGroup(name: Self.resourceGroup, virtualNetworks: [
                Seed.VirtualNetwork(name: Self.vnetName, addressPrefixes: [SandboxLayout.vnet.description],
                                    subnets: [Seed.Subnet(name: Self.subnetName, addressPrefix: Self.subnetPrefix.description)]),
            ], scaleSets: [
                Seed.ScaleSet(name: Self.workerScaleSet, pool: Self.workerPool, subnet: subnet,
                              instances: layout.workers.count, pinnedInstances: pins(layout.workers)),
                Seed.ScaleSet(name: Self.gatewayScaleSet, pool: Self.gatewayPool, gatewayPrefixLength: gatewayPrefixLength,
                              subnet: subnet, instances: layout.gateways.count, pinnedInstances: pins(layout.gateways)),
            ]),
        ])
    }
}
