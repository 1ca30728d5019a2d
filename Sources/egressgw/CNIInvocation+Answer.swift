import ArgumentParser
import CNIPlugin

extension CNIInvocation {
    /// Answers the runtime on the standard streams; a failure ends in exit status 1.
    func answer(environment: [String: String]) async throws {
        let outcome = await outcome(environment: environment) { StandardStream.readInput() }
        StandardStream.output.write(outcome.standardOutput)
        StandardStream.error.write(outcome.standardError)
        if outcome.exitStatus != 0 { throw ExitCode(outcome.exitStatus) }
    }
}
