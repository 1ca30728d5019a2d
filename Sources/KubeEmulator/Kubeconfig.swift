import Foundation

/// Writes kubeconfig files for clients of the emulator (kubectl, the project's Kube client).
public enum Kubeconfig {
    /// A kubeconfig with one cluster `egressgw-emulator`, one user and one current context.
    ///
    /// - Parameters:
    ///   - server: `http://...` or `https://...`.
    ///   - certificateAuthority: PEM of the CA that signed the serving certificate (for HTTPS), inlined as
    ///     `certificate-authority-data`.
    ///   - token: bearer token of the user; none when authentication is disabled.
    public static func render(server: String, certificateAuthority: String? = nil, token: String? = nil,
                              namespace: String = "default") -> String
    {
        var lines = [
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: egressgw-emulator",
            "  cluster:",
            "    server: \(quoted(server))",
        ]
        if let certificateAuthority {
            lines.append("    certificate-authority-data: \(Data(certificateAuthority.utf8).base64EncodedString())")
        }
        lines += ["users:", "- name: egressgw-emulator-user"]
        lines.append(token.map { "  user:\n    token: \(quoted($0))" } ?? "  user: {}")
        lines += [
            "contexts:",
            "- name: egressgw-emulator",
            "  context:",
            "    cluster: egressgw-emulator",
            "    user: egressgw-emulator-user",
            "    namespace: \(quoted(namespace))",
            "current-context: egressgw-emulator",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
