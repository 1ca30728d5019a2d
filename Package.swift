// swift-tools-version: 6.1
import PackageDescription

// Layers (see ARCHITECTURE.md): lower layers never import higher ones.
//   0  CMnl · CSodium · CCurl       system libraries
//   1  Netlink · WireGuard · Firewall · Observability · HTTPClient
//   2  Kube (model, client, controller runtime) · EgressGatewayAPI (CRD model) · KubeEmulator (test API server)
//      Azure (cloud config, credentials, ARM, IMDS)
//   3  GatewayDaemon · CNIPlugin · CNIManager · Operator · Sandbox    the roles, as libraries
//   4  egressgw (one binary, every role) · egressgw-bench · egressgw-sandbox (developer tool)
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
// Libraries emit through swift-metrics; only Observability knows the Prometheus backend.
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
// Role entries run their servers and loops as services that stop together on SIGTERM.
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

let package = Package(
    name: "egressgw",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "egressgw", targets: ["egressgw"]),
        .executable(name: "egressgw-bench", targets: ["egressgw-bench"]),
        .executable(name: "egressgw-sandbox", targets: ["egressgw-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // 1.16 brings `LogHandler.log(event:)`, which the Observability handlers implement.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The KubeEmulator, and test servers on loopback and unix sockets (HTTPClientTests).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        // YAML output of the generated CustomResourceDefinitions.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // Azure: RS256 client assertions for service-principal certificates (PEM keys, X.509 thumbprints).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        // Already in the graph through swift-certificates; Azure reads PKCS#12 files with it.
        .package(url: "https://github.com/apple/swift-asn1", from: "1.3.0"),
    ],
    targets: [
        // Layer 0: system libraries, found with pkg-config; `make` installs the Debian -dev packages.
        .systemLibrary(name: "CMnl", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Layer 1: node networking toolkit and process plumbing.
        .target(name: "Netlink", dependencies: ["CMnl"], exclude: ["README.md"]),
        .target(name: "WireGuard", dependencies: ["Netlink", "CSodium"], exclude: ["README.md"]),
        .target(name: "Firewall", dependencies: ["Netlink"], exclude: ["README.md"]),
        .target(
            name: "Observability",
            dependencies: [logging, metrics, prometheus, serviceLifecycle, hummingbird],
            exclude: ["README.md"]
        ),
        .target(name: "HTTPClient", dependencies: ["CCurl"], exclude: ["README.md"]),

        // Layer 2: Kubernetes client and models, the egress gateway CRD model, and the API server emulator.
        .target(name: "Kube", dependencies: ["HTTPClient", logging, yams], exclude: ["README.md"]),
        .target(name: "EgressGatewayAPI", dependencies: ["Kube"], exclude: ["README.md"]),
        // An in-memory Kubernetes API server that speaks the real wire protocol, for tests and the sandbox.
        .target(
            name: "KubeEmulator",
            dependencies: [
                "Kube", hummingbird, .product(name: "HummingbirdCore", package: "hummingbird"),
                // HTTPS with the CA and certificate the emulator generates (swift-nio-ssl).
                .product(name: "HummingbirdTLS", package: "hummingbird"), logging,
                // YAML apply configurations (server-side apply).
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["README.md"]
        ),
        // Azure Resource Manager, AAD credentials and IMDS; no Kubernetes knowledge.
        .target(
            name: "Azure",
            dependencies: [
                "HTTPClient", logging, yams,
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            exclude: ["README.md"]
        ),

        // An in-memory Azure Resource Manager (plus IMDS and AAD token endpoints) at the wire level, for tests and
        // the sandbox. It must not import the Azure client, so that a client bug shows up against it.
        .target(
            name: "ARMEmulator",
            dependencies: [
                hummingbird, .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"), logging, yams,
                // The AAD emulator verifies the RS256 signature of certificate client assertions.
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            exclude: ["README.md"]
        ),

        // Layer 3: the roles' libraries.
        .target(
            name: "GatewayDaemon",
            dependencies: [
                "Netlink", "WireGuard", "Firewall", "Kube", "EgressGatewayAPI", "Azure", "CMnl", logging, metrics, hummingbird,
                serviceLifecycle,
            ],
            exclude: ["README.md"]
        ),
        .target(name: "CNIPlugin", dependencies: ["Netlink", "WireGuard", "Firewall", logging], exclude: ["README.md"]),
        // The node's cni-manager, and the plugin's client of it (the unix-socket API both sides share).
        .target(
            name: "CNIManager",
            dependencies: ["CNIPlugin", "Kube", "EgressGatewayAPI", "HTTPClient", "Netlink", "WireGuard", hummingbird,
                           serviceLifecycle, metrics, logging],
            exclude: ["README.md"]
        ),
        // The whole system on one machine: netns nodes, the Azure fabric, a kubelet, the roles as processes.
        .target(
            name: "Sandbox",
            dependencies: ["Netlink", "Firewall", "Kube", "KubeEmulator", "ARMEmulator", "EgressGatewayAPI", logging, yams],
            exclude: ["README.md"]
        ),
        // The three controllers of `egressgw operator`; Azure only behind the GatewayFabric protocol.
        .target(
            name: "Operator", dependencies: ["Kube", "EgressGatewayAPI", "WireGuard", "Azure", logging, metrics],
            exclude: ["README.md"]
        ),

        // Layer 4: the one binary.
        .executableTarget(
            name: "egressgw",
            dependencies: [
                "Netlink", "WireGuard", "Firewall", "Observability", "EgressGatewayAPI", "CNIPlugin", "CNIManager", "Kube",
                "GatewayDaemon", "Operator", "Azure", "HTTPClient", serviceLifecycle, logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"],
            // The CNI plugin runs on the host from a bundle (scripts/cni-bundle.sh): its shared libraries sit in
            // lib/ next to the binary. An RPATH (not RUNPATH) also applies to the libraries' own dependencies.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--disable-new-dtags", "-Xlinker", "-rpath", "-Xlinker", "$ORIGIN/lib"])],
            plugins: ["GitCommitStamp"]
        ),
        // Writes the git commit of the checkout into the egressgw module at build time (`egressgw version`).
        .plugin(name: "GitCommitStamp", capability: .buildTool()),
        // Developer tool: `apiserver` runs the KubeEmulator standalone for kubectl; the Sandbox extends it.
        .executableTarget(
            name: "egressgw-sandbox",
            dependencies: [
                "KubeEmulator", "ARMEmulator", "Sandbox", "Netlink", "Kube", "EgressGatewayAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), logging,
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "egressgw-bench",
            dependencies: [
                "Netlink", "WireGuard", "GatewayDaemon", "Kube", "KubeEmulator", "EgressGatewayAPI", "CNIManager", "CNIPlugin", "Observability", logging,
                "Operator", "Azure", "ARMEmulator", "HTTPClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers shared by test targets (a scripted HTTP server, child processes); no module under Sources/ may depend on it.
        .target(name: "TestSupport", dependencies: [hummingbird, logging], path: "Tests/TestSupport", exclude: ["README.md"]),

        .testTarget(name: "NetlinkTests", dependencies: ["Netlink"]),
        .testTarget(name: "WireGuardTests", dependencies: ["WireGuard", "Netlink"]),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "Netlink"]),
        .testTarget(
            name: "HTTPClientTests",
            dependencies: ["HTTPClient", hummingbird, logging]
        ),
        .testTarget(name: "KubeTests", dependencies: ["Kube", "KubeEmulator", "HTTPClient", "TestSupport", hummingbird, yams]),
        .testTarget(name: "KubeEmulatorTests", dependencies: ["KubeEmulator", "Kube", "HTTPClient"]),
        .testTarget(
            name: "AzureTests",
            dependencies: [
                "Azure", "HTTPClient", "ARMEmulator", "TestSupport", hummingbird, logging,
                // A throwaway certificate for the service-principal certificate flow.
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // KubeEmulator only lends its certificate generator to the HTTPS test.
        .testTarget(
            name: "ARMEmulatorTests",
            dependencies: [
                "ARMEmulator", "HTTPClient", "KubeEmulator", "TestSupport",
                // A throwaway certificate whose key signs the client assertion the AAD emulator verifies.
                .product(name: "X509", package: "swift-certificates"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "EgressGatewayAPITests", dependencies: ["EgressGatewayAPI", "Kube", "TestSupport", yams]),
        .testTarget(
            name: "GatewayDaemonTests",
            dependencies: [
                "GatewayDaemon", "Netlink", "WireGuard", "Firewall", "Kube", "KubeEmulator", "EgressGatewayAPI", "Azure",
                "ARMEmulator",
                "HTTPClient", serviceLifecycle, logging,
            ]
        ),
        .testTarget(
            name: "CNIPluginTests",
            dependencies: ["CNIPlugin", "Netlink", "WireGuard", "Firewall", logging,
                           // The chain against a real cni-manager on the KubeEmulator.
                           "CNIManager", "KubeEmulator", "Kube", "EgressGatewayAPI"]
        ),
        .testTarget(
            name: "CNIManagerTests",
            dependencies: ["CNIManager", "CNIPlugin", "KubeEmulator", "Kube", "EgressGatewayAPI", "HTTPClient", "Netlink",
                           "WireGuard", metrics, logging]
        ),
        .testTarget(
            name: "OperatorTests",
            dependencies: ["Operator", "Kube", "KubeEmulator", "EgressGatewayAPI", "WireGuard", "Observability", "Azure", "ARMEmulator", "HTTPClient", "TestSupport", metrics]
        ),
        .testTarget(name: "ObservabilityTests", dependencies: ["Observability", "HTTPClient", metrics, serviceLifecycle]),
        // Azure and Operator only in the tests: the sandbox's Azure is checked with the clients that will use it.
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "Netlink", "Firewall", "Kube", "KubeEmulator", "ARMEmulator",
                                                        "Azure", "HTTPClient", "Operator", "EgressGatewayAPI", yams, logging]),
        // Renders deploy/ with kubectl and checks it against the egressgw binary built beside it.
        .testTarget(name: "DeployTests", dependencies: ["egressgw", "Kube", "EgressGatewayAPI", "TestSupport", yams]),
        .testTarget(name: "EgressgwTests", dependencies: ["Observability", "EgressGatewayAPI", "CNIPlugin", "egressgw", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
