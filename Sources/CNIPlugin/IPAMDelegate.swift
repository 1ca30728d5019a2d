import Netlink
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Runs the IPAM plugin named by `ipam.type` for the egress plugin, with the same standard input
/// and environment the plugin got (`CNI_COMMAND` replaced), as libcni's `ExecAdd`/`ExecDel` do.
///
/// The egressgw IPAM (under either of its names) runs in this process instead: the result is the
/// same, and an ADD saves starting a second process.
struct IPAMDelegate {
    let type: String
    let inProcessTypes: Set<String>
    /// Where an external IPAM program runs: the runtime's namespace (it enters `CNI_NETNS` itself).
    let namespace: NetworkNamespace

    func add(_ request: CNIRequest) async throws(CNIError) -> CNIResult {
        if inProcessTypes.contains(type) {
            return try await EgressIPAM().add(request)
        }
        let output = try execute(.add, request)
        do {
            return try JSONDecoder().decode(CNIResult.self, from: Data(output.standardOutput))
        } catch {
            throw CNIError(code: .internalFailure,
                           message: "IPAM plugin \(type) printed a result that does not read: \(CNIJSON.describe(error))")
        }
    }

    func delete(_ request: CNIRequest) async throws(CNIError) {
        if inProcessTypes.contains(type) {
            return try await EgressIPAM().delete(request)
        }
        _ = try execute(.del, request)
    }

    private func execute(_ operation: CNIOperation, _ request: CNIRequest) throws(CNIError) -> CommandOutput {
        guard !type.isEmpty, !type.contains("/"), type != ".", type != ".." else {
            throw CNIError.invalidConfig(field: "ipam.type", value: type, reason: "must be the file name of a plugin in CNI_PATH")
        }
        let directories = (request.environment.pluginPath ?? "").split(separator: ":").map(String.init)
        let candidates = directories.map { directory -> String in "\(directory)/\(type)" }
        guard let executable = candidates.first(where: { path in access(path, X_OK) == 0 }) else {
            throw CNIError(code: .invalidConfig,
                           message: "failed to find IPAM plugin \"\(type)\" in CNI_PATH \(request.environment.pluginPath ?? "")")
        }
        var environment = request.environment.variables
        environment["CNI_COMMAND"] = operation.rawValue
        let output: CommandOutput
        do {
            output = try namespace.execute(executable, [], input: request.input, environment: environment)
        } catch {
            throw .failed("run IPAM plugin \(executable) for \(operation.rawValue)", error)
        }
        guard output.exitCode == 0 else {
            if let reply = try? JSONDecoder().decode(ErrorReply.self, from: Data(output.standardOutput)) {
                throw CNIError(code: CNIError.Code(rawValue: reply.code),
                               message: "IPAM plugin \(type) failed \(operation.rawValue): \(reply.msg)", details: reply.details ?? "")
            }
            throw CNIError(code: .internalFailure,
                           message: "IPAM plugin \(type) failed \(operation.rawValue) with exit status \(output.exitCode)",
                           details: String(output.stderr.prefix(500)))
        }
        return output
    }

    private struct ErrorReply: Decodable {
        let code: UInt
        let msg: String
        let details: String?
    }
}
