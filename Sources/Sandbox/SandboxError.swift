/// Why a sandbox operation failed; each case names the object and the value involved.
public enum SandboxError: Error, Sendable, CustomStringConvertible {
    /// A layout or fabric value was refused before anything ran.
    case invalidConfiguration(field: String, value: String, reason: String)
    /// Objects of an earlier run are still there; `egressgw-sandbox down` removes them.
    case leftovers([String])
    /// A kernel or program step failed.
    case step(String, cause: any Error)
    /// The state file is missing or unreadable.
    case stateFile(path: String, reason: String)
    /// A request to a sandbox server (echo, probe) failed.
    case request(target: String, reason: String)
    /// A CNI plugin refused a command for a container; `message` is what it printed.
    case plugin(command: String, type: String, container: String, message: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let field, let value, let reason):
            "invalid \(field) \"\(value)\": \(reason)"
        case .leftovers(let objects):
            "leftovers of an earlier sandbox run exist (\(objects.joined(separator: ", "))); run `egressgw-sandbox down` first"
        case .step(let step, let cause):
            "\(step): \(cause)"
        case .stateFile(let path, let reason):
            "state file \(path): \(reason)"
        case .request(let target, let reason):
            "request to \(target): \(reason)"
        case .plugin(let command, let type, let container, let message):
            "CNI plugin \(type) failed \(command) for container \(container): \(message)"
        }
    }
}

extension SandboxError {
    /// Runs `body`, wrapping any error as a failure of `step`.
    static func during<T>(_ step: @autoclosure () -> String, _ body: () throws -> T) throws(SandboxError) -> T {
        do { return try body() } catch let error as SandboxError { throw error } catch { throw .step(step(), cause: error) }
    }

    static func during<T>(_ step: @autoclosure () -> String, _ body: () async throws -> T) async throws(SandboxError) -> T {
        do { return try await body() } catch let error as SandboxError { throw error } catch { throw .step(step(), cause: error) }
    }
}
