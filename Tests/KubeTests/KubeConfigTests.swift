import Foundation
import HTTPClient
import Testing
@testable import Kube

@Suite("kubeconfig")
struct KubeConfigTests {
    static let twoContexts = """
        apiVersion: v1
        kind: Config
        current-context: prod
        clusters:
        - name: prod-cluster
          cluster:
            server: https://prod.example:6443
            certificate-authority-data: \("CA-PEM".base64)
        - name: dev-cluster
          cluster:
            server: https://dev.example:6443
            certificate-authority: certs/ca.crt
        users:
        - name: alice
          user:
            token: alice-token
        - name: bob
          user:
            client-certificate: bob.crt
            client-key: /abs/bob.key
        contexts:
        - name: prod
          context: {cluster: prod-cluster, user: alice, namespace: egress}
        - name: dev
          context: {cluster: dev-cluster, user: bob}
        """

    @Test func currentContextWithTokenAndInlineCA() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", Self.twoContexts)
        let config = try KubeConfig.load(file: file).clientConfiguration(environment: [:])
        #expect(config.server == "https://prod.example:6443")
        #expect(config.namespace == "egress")
        #expect(config.tls.trustRoots == .pem(Array("CA-PEM".utf8)))
        #expect(config.tls.clientIdentity == nil)
        guard case .bearer(let token) = config.credentials else { Issue.record("expected a token"); return }
        #expect(token == "alice-token")
        #expect(config.source.contains(file) && config.source.contains("\"prod\""))
        #expect(!"\(config.credentials)".contains("alice-token"))
    }

    @Test func otherContextResolvesRelativePathsAgainstTheFile() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("sub/config", Self.twoContexts)
        try scratch.write("sub/certs/ca.crt", "CA")
        try scratch.write("sub/bob.crt", "CERT")
        let missingKey = #expect(throws: KubeConfigError.self) {
            try KubeConfig.load(file: file).clientConfiguration(context: "dev", environment: [:])
        }
        #expect(missingKey == .invalidField(path: file, field: "users[name=bob].user.client-key",
                                            detail: "cannot read /abs/bob.key: no such file"))
        try scratch.write("bob.key", "KEY")
        try scratch.write("sub/config", Self.twoContexts.replacingOccurrences(of: "/abs/bob.key", with: "../bob.key"))
        let config = try KubeConfig.load(file: file).clientConfiguration(context: "dev", environment: [:])
        #expect(config.server == "https://dev.example:6443")
        #expect(config.namespace == "default")
        #expect(config.tls.trustRoots == .file("\(scratch.path)/sub/certs/ca.crt"))
        #expect(config.tls.clientIdentity == .files(certificate: "\(scratch.path)/sub/bob.crt", key: "\(scratch.path)/bob.key"))
        guard case .none = config.credentials else { Issue.record("expected no token"); return }
    }

    @Test func clientCertificateDataAndMixedSources() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("key.pem", "KEY-PEM")
        let file = try scratch.write("config", """
            clusters: [{name: c, cluster: {server: "127.0.0.1:6443", insecure-skip-tls-verify: true}}]
            users:
            - name: inline
              user: {client-certificate-data: \("CERT".base64), client-key-data: \("KEY".base64)}
            - name: mixed
              user: {client-certificate-data: \("CERT".base64), client-key: key.pem}
            contexts: [{name: a, context: {cluster: c, user: inline}}, {name: b, context: {cluster: c, user: mixed}}]
            """)
        let kubeconfig = try KubeConfig.load(file: file)
        let inline = try kubeconfig.clientConfiguration(context: "a", environment: [:])
        #expect(inline.server == "https://127.0.0.1:6443")
        #expect(inline.tls.insecureSkipVerify)
        #expect(inline.tls.clientIdentity == .pem(certificate: Array("CERT".utf8), key: Array("KEY".utf8)))
        let mixed = try kubeconfig.clientConfiguration(context: "b", environment: [:])
        #expect(mixed.tls.clientIdentity == .pem(certificate: Array("CERT".utf8), key: Array("KEY-PEM".utf8)))
    }

    @Test func badBase64NamesFileAndField() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", """
            users:
            - name: u
              user: {client-key-data: "not base64!"}
            """)
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(file: file) }
        #expect(error == .invalidField(path: file, field: "users[0].user.client-key-data", detail: "not valid base64"))
        #expect(error?.description.contains(file) == true)
    }

    @Test func malformedYAMLNamesTheFile() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", "clusters:\n  - name: [unterminated\n")
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(file: file) }
        guard case .malformed(let path, _) = error else { Issue.record("expected malformed, got \(String(describing: error))"); return }
        #expect(path == file)
        #expect(error?.description.hasPrefix("kubeconfig \(file): malformed") == true)
    }

    @Test func wrongShapeNamesTheField() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", "clusters:\n- name: c\n  cluster:\n    insecure-skip-tls-verify: [1]\n")
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(file: file) }
        #expect(error == .invalidField(path: file, field: "clusters[0].cluster.insecure-skip-tls-verify",
                                       detail: "expected a single value"))
        let list = try scratch.write("list", "clusters: {name: c}\n")
        #expect(throws: KubeConfigError.invalidField(path: list, field: "clusters", detail: "expected a list")) {
            try KubeConfig.load(file: list)
        }
        let document = try scratch.write("document", "- a\n- b\n")
        #expect(throws: KubeConfigError.invalidField(path: document, field: "(document)", detail: "expected a mapping")) {
            try KubeConfig.load(file: document)
        }
    }

    @Test func missingPiecesAreNamed() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", """
            clusters: [{name: c, cluster: {}}]
            users: [{name: u, user: {client-certificate-data: \("C".base64)}}]
            contexts:
            - {name: no-cluster, context: {cluster: gone, user: u}}
            - {name: no-server, context: {cluster: c}}
            - {name: half-cert, context: {cluster: c, user: u}}
            """)
        let kubeconfig = try KubeConfig.load(file: file)
        #expect(throws: KubeConfigError.noCurrentContext(files: [file])) {
            try kubeconfig.clientConfiguration(environment: [:])
        }
        #expect(throws: KubeConfigError.contextNotFound(name: "nope", files: [file])) {
            try kubeconfig.clientConfiguration(context: "nope", environment: [:])
        }
        #expect(throws: KubeConfigError.missingReference(context: "no-cluster", kind: "cluster", name: "gone", files: [file])) {
            try kubeconfig.clientConfiguration(context: "no-cluster", environment: [:])
        }
        #expect(throws: KubeConfigError.invalidField(path: file, field: "clusters[name=c].cluster.server", detail: "missing")) {
            try kubeconfig.clientConfiguration(context: "no-server", environment: [:])
        }
        let scratch2 = try ScratchDirectory()
        let withServer = try scratch2.write("config", try String(contentsOfFile: file, encoding: .utf8)
            .replacingOccurrences(of: "cluster: {}", with: "cluster: {server: https://x}"))
        let error = #expect(throws: KubeConfigError.self) {
            try KubeConfig.load(file: withServer).clientConfiguration(context: "half-cert", environment: [:])
        }
        #expect(error?.description.contains("users[name=u].user.client-key: missing") == true)
    }

    @Test func unsupportedAuthenticationIsRefusedClearly() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", """
            clusters: [{name: c, cluster: {server: https://x}}]
            users:
            - {name: azure, user: {auth-provider: {name: azure}}}
            - {name: basic, user: {username: admin, password: secret}}
            - {name: exec, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: kubelogin}}}
            contexts: [{name: a, context: {cluster: c, user: azure}}, {name: b, context: {cluster: c, user: basic}}]
            """)
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(file: file) }
        #expect(error?.description.contains("users[2].user.exec.apiVersion") == true)
        let fixed = try scratch.write("config2", try scratch.read("config")
            .replacingOccurrences(of: "v1alpha1", with: "v1"))
        let kubeconfig = try KubeConfig.load(file: fixed)
        let azure = #expect(throws: KubeConfigError.self) { try kubeconfig.clientConfiguration(context: "a", environment: [:]) }
        #expect(azure?.description.contains("kubelogin convert-kubeconfig") == true)
        let basic = #expect(throws: KubeConfigError.self) { try kubeconfig.clientConfiguration(context: "b", environment: [:]) }
        #expect(basic?.description.contains("basic authentication is not supported") == true)
        #expect(basic?.description.contains("secret") == false)
    }

    @Test func missingTokenFileNamesKubeconfigFieldAndPath() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", """
            current-context: a
            clusters: [{name: c, cluster: {server: https://x}}]
            users: [{name: sa, user: {tokenFile: tokens/sa}}]
            contexts: [{name: a, context: {cluster: c, user: sa}}]
            """)
        let error = #expect(throws: KubeConfigError.self) { try KubeConfig.load(file: file).clientConfiguration(environment: [:]) }
        #expect(error?.description == "kubeconfig \(file): users[name=sa].user.tokenFile: cannot read \(scratch.path)/tokens/sa: no such file")
        try scratch.write("tokens/sa", "token")
        let config = try KubeConfig.load(file: file).clientConfiguration(environment: [:])
        guard case .tokenFile(let path) = config.credentials else { Issue.record("expected a token file"); return }
        #expect(path == "\(scratch.path)/tokens/sa")
    }

    @Test func kubeconfigListMergesFirstWins() throws {
        let scratch = try ScratchDirectory()
        let first = try scratch.write("one", """
            clusters: [{name: shared, cluster: {server: https://first}}]
            contexts: [{name: ctx, context: {cluster: shared, namespace: one}}]
            """)
        let second = try scratch.write("two", """
            current-context: ctx
            clusters: [{name: shared, cluster: {server: https://second}}, {name: extra, cluster: {server: https://extra}}]
            contexts: [{name: ctx, context: {cluster: extra}}, {name: other, context: {cluster: extra}}]
            """)
        let environment = ["KUBECONFIG": "\(scratch.path)/missing:\(first):\(second)"]
        let config = try KubeClientConfiguration.load(environment: environment)
        #expect(config.server == "https://first")
        #expect(config.namespace == "one")
        let other = try KubeClientConfiguration.load(context: "other", environment: environment)
        #expect(other.server == "https://extra")
    }

    @Test func searchOrder() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("home/.kube/config", """
            current-context: home
            clusters: [{name: c, cluster: {server: https://home}}]
            contexts: [{name: home, context: {cluster: c}}]
            """)
        let explicit = try scratch.write("explicit", """
            current-context: x
            clusters: [{name: c, cluster: {server: https://explicit}}]
            contexts: [{name: x, context: {cluster: c}}]
            """)
        let home = ["HOME": "\(scratch.path)/home"]
        #expect(try KubeClientConfiguration.load(environment: home).server == "https://home")
        #expect(try KubeClientConfiguration.load(kubeconfig: explicit, environment: home).server == "https://explicit")
        #expect(throws: KubeConfigError.fileNotReadable(path: "\(scratch.path)/nope", reason: "no such file")) {
            try KubeClientConfiguration.load(kubeconfig: "\(scratch.path)/nope", environment: home)
        }
        let nothing = #expect(throws: KubeConfigError.self) {
            try KubeClientConfiguration.load(environment: ["HOME": "\(scratch.path)/empty"])
        }
        #expect(nothing == .noConfiguration(searched: ["\(scratch.path)/empty/.kube/config"]))
    }

    @Test func clusterProxyOverridesEnvironment() throws {
        let scratch = try ScratchDirectory()
        let file = try scratch.write("config", """
            current-context: a
            clusters: [{name: c, cluster: {server: https://x, proxy-url: "http://proxy:3128"}}, {name: d, cluster: {server: https://y}}]
            contexts: [{name: a, context: {cluster: c}}, {name: b, context: {cluster: d}}]
            """)
        let kubeconfig = try KubeConfig.load(file: file)
        let environment = ["HTTPS_PROXY": "http://env:8080"]
        #expect(try kubeconfig.clientConfiguration(environment: environment).proxy.httpsProxy == "http://proxy:3128")
        #expect(try kubeconfig.clientConfiguration(context: "b", environment: environment).proxy.httpsProxy == "http://env:8080")
    }
}

@Suite("in-cluster configuration")
struct InClusterConfigTests {
    @Test func readsServiceAccountFiles() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("sa/token", "t0")
        try scratch.write("sa/ca.crt", "CA")
        try scratch.write("sa/namespace", "kube-egress\n")
        let environment = ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"]
        let config = try InClusterConfig.load(environment: environment, directory: "\(scratch.path)/sa")
        #expect(config.server == "https://[fd00::1]:443")
        #expect(config.namespace == "kube-egress")
        #expect(config.tls.trustRoots == .file("\(scratch.path)/sa/ca.crt"))
        guard case .tokenFile(let path) = config.credentials else { Issue.record("expected a token file"); return }
        #expect(path == "\(scratch.path)/sa/token")
        // The search order picks in-cluster when no kubeconfig is given or listed.
        let found = try KubeClientConfiguration.load(environment: environment, serviceAccountDirectory: "\(scratch.path)/sa")
        #expect(found.source.hasPrefix("in-cluster"))
    }

    @Test func missingPiecesAreNamed() throws {
        let scratch = try ScratchDirectory()
        try scratch.write("sa/ca.crt", "CA")
        let directory = "\(scratch.path)/sa"
        #expect(throws: KubeConfigError.inCluster(detail: "KUBERNETES_SERVICE_HOST is not set (not running in a pod?)")) {
            try InClusterConfig.load(environment: [:], directory: directory)
        }
        #expect(throws: KubeConfigError.inCluster(detail: "KUBERNETES_SERVICE_PORT \"https\" is not a port number")) {
            try InClusterConfig.load(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "https"],
                                     directory: directory)
        }
        let environment = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        #expect(throws: KubeConfigError.inCluster(detail: "cannot read \(directory)/token")) {
            try InClusterConfig.load(environment: environment, directory: directory)
        }
        try scratch.write("sa/token", "t")
        let error = #expect(throws: KubeConfigError.self) { try InClusterConfig.load(environment: environment, directory: directory) }
        #expect(error?.description.contains("\(directory)/namespace") == true)
    }
}
