import ArgumentParser
import Logging

/// One execution of a CNI plugin by a runtime: decides the answer from the environment, then
/// writes it the way the spec wants (reply or error object on stdout, usage on stderr).
struct CNIInvocation {
    /// The plugin's name in messages, e.g. `egressgw-cni`.
    let plugin: String
    /// Shown instead of ADD, DEL, CHECK, STATUS and GC results until the plugin implements them.
    let pendingDetails: String

    /// What the plugin answers.
    enum Outcome: Equatable {
        /// A result on stdout, exit status 0.
        case reply(String)
        /// An error object on stdout, exit status 1.
        case failure(CNIError)
        /// Usage on stderr, exit status 0: run by hand, without `CNI_COMMAND`.
        case usage(String)
    }

    /// The answer to a runtime that set `environment`.
    func outcome(for environment: [String: String]) -> Outcome {
        do {
            return outcome(for: try CNIEnvironment(environment))
        } catch {
            return .failure(error)
        }
    }

    private func outcome(for cni: CNIEnvironment) -> Outcome {
        guard let operation = cni.operation else {
            return .usage("""
                CNI \(plugin) plugin version \(BuildInfo.version)
                CNI protocol versions supported: \(CNIProtocol.supportedVersions.joined(separator: ", "))
                A container runtime executes this plugin with CNI_COMMAND and the other CNI_* variables set.

                """)
        }
        switch operation {
        case .version:
            return .reply(CNIProtocol.versionReply() + "\n")
        case .status:
            return .failure(CNIError(code: .pluginNotAvailable,
                                     message: "\(plugin) cannot service ADD yet", details: pendingDetails))
        case .add, .del, .check, .gc:
            return .failure(CNIError(code: .invalidEnvironment,
                                     message: "CNI_COMMAND \(operation.rawValue) is not implemented yet by \(plugin)",
                                     details: pendingDetails))
        }
    }

    /// Answers the runtime: writes the outcome for `environment`; a failure ends in exit status 1.
    func run(environment: [String: String], logger: Logger) throws {
        let answer = outcome(for: environment)
        switch answer {
        case .reply(let text):
            StandardStream.output.write(text)
        case .usage(let text):
            StandardStream.error.write(text)
        case .failure(let error):
            var metadata = (try? CNIEnvironment(environment))?.logMetadata ?? [:]
            metadata["code"] = .stringConvertible(error.code.rawValue)
            logger.error("CNI request refused: \(error)", metadata: metadata)
            StandardStream.output.write(error.json + "\n")
            throw ExitCode(1)
        }
    }
}
