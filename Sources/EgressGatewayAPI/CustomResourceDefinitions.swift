import Kube

/// The five CustomResourceDefinitions, generated from the Swift model.
///
/// The schemas come from the models' coding fields, so names, types, enums, bounds, defaults and `required` are
/// those the models encode, and match the Go version's CRDs. On top of upstream they add printer columns, short names,
/// the `egressgateway` category, the additive status members (`conditions`, `observedGeneration`) and CEL rules for
/// the SGC's cross-field checks. `egressgw crds` prints `yaml()`; `deploy/crds/` holds `files()`.
public enum CustomResourceDefinitions {
    public static let staticGatewayConfiguration = CustomResourceDefinition(
        resource: StaticGatewayConfiguration.resource,
        description: "A static egress gateway: pods annotated with \(EgressGateway.podAnnotation)=NAME leave the"
            + " cluster from the egress IPs it provisions.",
        spec: StaticGatewayConfigurationSpec.schema, status: StaticGatewayConfigurationStatus.schema,
        shortNames: ["sgc"], categories: [EgressGateway.category],
        printerColumns: [
            .init(name: "Pool", type: "string", jsonPath: ".spec.gatewayNodepoolName",
                  description: "Gateway node pool."),
            .init(name: "VMSS", type: "string", jsonPath: ".spec.gatewayVmssProfile.vmssName",
                  description: "Bring-your-own gateway VMSS.", priority: 1),
            .init(name: "Egress Prefix", type: "string", jsonPath: ".status.egressIpPrefix",
                  description: "Egress source IPs."),
            .init(name: "Gateway IP", type: "string", jsonPath: ".status.gatewayServerProfile.ip",
                  description: "Load balancer frontend the pods' tunnels connect to."),
            .init(name: "Port", type: "integer", jsonPath: ".status.gatewayServerProfile.port",
                  description: "WireGuard port of the gateway."),
            readyColumn,
            readyReasonColumn,
            ageColumn,
        ])

    public static let gatewayLBConfiguration = CustomResourceDefinition(
        resource: GatewayLBConfiguration.resource,
        description: "The operator's load-balancer state of one StaticGatewayConfiguration (internal).",
        spec: GatewayLBConfigurationSpec.schema, status: GatewayLBConfigurationStatus.schema,
        shortNames: ["gwlbc"], categories: [EgressGateway.category],
        printerColumns: [
            .init(name: "Frontend IP", type: "string", jsonPath: ".status.frontendIp",
                  description: "Load balancer frontend IP."),
            .init(name: "Port", type: "integer", jsonPath: ".status.serverPort",
                  description: "Port of the load-balancing rule."),
            .init(name: "Egress Prefix", type: "string", jsonPath: ".status.egressIpPrefix",
                  description: "Egress source IPs."),
            ageColumn,
        ])

    public static let gatewayVMConfiguration = CustomResourceDefinition(
        resource: GatewayVMConfiguration.resource,
        description: "The operator's gateway-VM state of one StaticGatewayConfiguration (internal).",
        spec: GatewayVMConfigurationSpec.schema, status: GatewayVMConfigurationStatus.schema,
        shortNames: ["gwvmc"], categories: [EgressGateway.category],
        printerColumns: [
            .init(name: "Egress Prefix", type: "string", jsonPath: ".status.egressIpPrefix",
                  description: "Egress source IPs."),
            ageColumn,
        ])

    /// Printer columns show the first match of a JSONPath, so on a node serving several gateways or peers the
    /// columns show the first one; `kubectl get gws NAME -o yaml` lists them all.
    public static let gatewayStatus = CustomResourceDefinition(
        resource: GatewayStatus.resource,
        description: "What one gateway node has set up, written by its gateway daemon.",
        spec: GatewayStatusSpec.schema, status: EmptyStatus.schema,
        shortNames: ["gws"], categories: [EgressGateway.category],
        printerColumns: [
            .init(name: "Gateways", type: "string",
                  jsonPath: ".spec.readyGatewayConfigurations[*].staticGatewayConfiguration",
                  description: "Gateway configurations ready on the node."),
            .init(name: "Peers", type: "string", jsonPath: ".spec.readyPeerConfigurations[*].podEndpoint",
                  description: "Pod peers configured on the node."),
            ageColumn,
        ])

    public static let podEndpoint = CustomResourceDefinition(
        resource: PodEndpoint.resource,
        description: "A pod's end of the WireGuard tunnel to its gateway, written by the CNI manager.",
        spec: PodEndpointSpec.schema, status: EmptyStatus.schema,
        shortNames: ["pe"], categories: [EgressGateway.category],
        printerColumns: [
            .init(name: "Gateway", type: "string", jsonPath: ".spec.staticGatewayConfiguration",
                  description: "The StaticGatewayConfiguration the pod uses."),
            .init(name: "Pod IP", type: "string", jsonPath: ".spec.podIpAddress", description: "The pod's IP."),
            ageColumn,
        ])

    /// All five, in the order of their file names, so that `yaml()` equals the files of `deploy/crds` concatenated.
    public static let all: [CustomResourceDefinition] = [
        gatewayLBConfiguration, gatewayStatus, gatewayVMConfiguration, podEndpoint, staticGatewayConfiguration,
    ]

    /// Every CRD as one multi-document YAML stream (what `egressgw crds` prints).
    public static func yaml() throws -> String {
        try all.map(YAMLRendering.document).joined()
    }

    /// The contents of `deploy/crds/`: one file per CRD, named `GROUP_PLURAL.yaml` like controller-gen's output,
    /// and a kustomization listing them.
    public static func files() throws -> [(name: String, contents: String)] {
        let crds = try all.map { crd in
            (name: "\(crd.spec.group)_\(crd.spec.names.plural).yaml", contents: try YAMLRendering.document(crd))
        }
        let kustomization = """
            # Generated from the Swift model (EgressGatewayAPI); do not edit. `egressgw crds` prints the same CRDs.
            # Regenerate with: EGRESSGW_UPDATE_CRDS=1 swift test --filter CRDGoldenTests
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:

            """ + crds.map { "- \($0.name)\n" }.joined()
        return crds + [(name: "kustomization.yaml", contents: kustomization)]
    }

    private static let readyColumn = CustomResourceDefinition.PrinterColumn(
        name: "Ready", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].status",
        description: "Whether the gateway is provisioned.")

    private static let readyReasonColumn = CustomResourceDefinition.PrinterColumn(
        name: "Reason", type: "string", jsonPath: ".status.conditions[?(@.type==\"Ready\")].reason",
        description: "Where provisioning stands.", priority: 1)

    private static let ageColumn = CustomResourceDefinition.PrinterColumn(
        name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp")
}
