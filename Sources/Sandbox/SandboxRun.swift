import Foundation

/// The state file of a run (`/run/egressgw-sandbox/state.json`): enough for `down` and `status`
/// to find every namespace, link, process and file, and to rebuild the ``SandboxLayout``.
public struct SandboxRun: Codable, Sendable, Hashable {
    public static let defaultDirectory = "/run/egressgw-sandbox"

    public var runID: String
    public var namePrefix: String
    public var workers: Int
    public var gateways: Int
    /// Processes started for the run (the supervisor, later the roles), by pid.
    public var processes: [String: Int32]
    /// Files and directories the run made, removed by `down`.
    public var files: [String]
    /// The API server's URL and the admin kubeconfig, once the supervisor is up.
    public var apiServer: String?
    public var kubeconfig: String?

    public init(runID: String, namePrefix: String = "egsb", workers: Int, gateways: Int) {
        self.runID = runID
        self.namePrefix = namePrefix
        self.workers = workers
        self.gateways = gateways
        self.processes = [:]
        self.files = []
    }

    public func layout() throws(SandboxError) -> SandboxLayout {
        try SandboxLayout(runID: runID, namePrefix: namePrefix, workers: workers, gateways: gateways)
    }

    public static func path(in directory: String) -> String { directory + "/state.json" }

    /// The run recorded in `directory`, or nil when there is none.
    public static func load(from directory: String) throws(SandboxError) -> SandboxRun? {
        let path = path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(SandboxRun.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .stateFile(path: path, reason: "\(error)")
        }
    }

    public func save(to directory: String) throws(SandboxError) {
        let path = Self.path(in: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .stateFile(path: path, reason: "\(error)")
        }
    }
}
