// swift-tools-version: 6.1
import PackageDescription

// Layers (see ARCHITECTURE.md): lower layers never import higher ones.
//   0  CMnl · CSodium · CCurl       system libraries
//   1  Netlink · WireGuard · Firewall · Observability · HTTPClient
//   2  Kube (resource model, client, controller runtime) · EgressGatewayAPI (CRD model) · KubeEmulator (test API server)
//   4  egressgw (one binary, every role) · egressgw-bench · egressgw-sandbox (developer tool)
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
        // Test servers on loopback and unix sockets (HTTPClientTests) and the KubeEmulator.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        // YAML output of the generated CustomResourceDefinitions; kubeconfig parsing.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
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
        .target(name: "Observability", dependencies: [.product(name: "Logging", package: "swift-log")],
                exclude: ["README.md"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"], exclude: ["README.md"]),

        // Layer 2: Kubernetes resource model and the egress gateway CRD model.
        .target(
            name: "Kube",
            dependencies: [
                "HTTPClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["README.md"]
        ),
        .target(name: "EgressGatewayAPI", dependencies: ["Kube"], exclude: ["README.md"]),
        // An in-memory Kubernetes API server that speaks the real wire protocol, for tests and the sandbox.
        .target(
            name: "KubeEmulator",
            dependencies: [
                "Kube",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),

        // Layer 4: the one binary.
        .executableTarget(
            name: "egressgw",
            dependencies: [
                "Netlink", "WireGuard", "Firewall", "Observability",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            plugins: ["GitCommitStamp"]
        ),
        // Writes the git commit of the checkout into the egressgw module at build time (`egressgw version`).
        .plugin(name: "GitCommitStamp", capability: .buildTool()),
        // Developer tool: `apiserver` runs the KubeEmulator standalone for kubectl; the Sandbox extends it.
        .executableTarget(
            name: "egressgw-sandbox",
            dependencies: [
                "KubeEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "egressgw-bench",
            dependencies: [
                "Netlink", "WireGuard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "NetlinkTests", dependencies: ["Netlink"]),
        .testTarget(name: "WireGuardTests", dependencies: ["WireGuard", "Netlink"]),
        .testTarget(name: "FirewallTests", dependencies: ["Firewall", "Netlink"]),
        .testTarget(
            name: "HTTPClientTests",
            dependencies: [
                "HTTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "KubeTests",
            dependencies: [
                "Kube", "KubeEmulator", "HTTPClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(name: "EgressGatewayAPITests",
                    dependencies: ["EgressGatewayAPI", "Kube", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "KubeEmulatorTests", dependencies: ["KubeEmulator", "Kube", "HTTPClient"]),
        .testTarget(name: "EgressgwTests", dependencies: ["Observability", "egressgw"]),
    ],
    swiftLanguageModes: [.v6]
)
