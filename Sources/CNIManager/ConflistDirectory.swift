#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The runtime's CNI config directory (`/etc/cni/net.d`) and our file in it: picks the main
/// config, and reconciles our file with what the main config implies.
public struct ConflistDirectory: Sendable {
    public static let defaultFileName = "01-egressgateway.conflist"

    public let path: String
    /// Our file's name in ``path``.
    public let fileName: String
    public let conflist: ChainedConflist

    public init(path: String, fileName: String = ConflistDirectory.defaultFileName, conflist: ChainedConflist) {
        self.path = path
        self.fileName = fileName
        self.conflist = conflist
    }

    public var filePath: String { path + "/" + fileName }

    /// Whether our file is in place (what the node taint waits for).
    public var isInstalled: Bool { access(filePath, F_OK) == 0 }

    /// The main config: the first regular file, by byte order, named `*.conflist`, `*.conf` or
    /// `*.json`, other than ours (and our temporary file).
    public func mainConfigName() throws(ConflistError) -> String {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw .io(path: path, operation: "list", errno: ENOENT)
        }
        let ours = fileName.lowercased()
        let candidates = names.filter { name in
            guard name.lowercased() != ours, [".conflist", ".conf", ".json"].contains(where: { name.hasSuffix($0) }) else {
                return false
            }
            var info = stat()
            return lstat(path + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
        }
        guard let first = candidates.min(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) else {
            throw .noMainConfig(directory: path)
        }
        return first
    }

    /// What reconciling did.
    public enum Outcome: Equatable, Sendable {
        /// Our file already had the right content.
        case unchanged
        /// Our file was (re)written from `mainConfig`.
        case written(mainConfig: String)
    }

    /// Brings our file to what the main config implies: no write when it already is.
    public func reconcile() throws(ConflistError) -> Outcome {
        let main = try mainConfigName()
        let bytes = try read(path + "/" + main)
        let desired = try conflist.render(mainConfig: bytes, fileName: main)
        if let current = try? read(filePath), current == Array(desired.utf8) { return .unchanged }
        try writeAtomically(Array(desired.utf8))
        return .written(mainConfig: main)
    }

    /// Removes our file (uninstall); absent is done.
    public func remove() throws(ConflistError) {
        if unlink(filePath) != 0, errno != ENOENT { throw .io(path: filePath, operation: "remove", errno: errno) }
    }

    /// `<file>.tmp` (mode 0644), synced, then renamed over the file: the runtime reads the old or
    /// the new list, never half of one.
    func writeAtomically(_ bytes: [UInt8]) throws(ConflistError) {
        let temporary = filePath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: temporary, operation: "create", errno: errno) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw .io(path: temporary, operation: "write", errno: code)
            }
            offset += written
        }
        fchmod(fd, 0o644)
        fsync(fd)
        close(fd)
        guard rename(temporary, filePath) == 0 else {
            let code = errno
            unlink(temporary)
            throw .io(path: filePath, operation: "rename \(temporary) to", errno: code)
        }
    }

    private func read(_ file: String) throws(ConflistError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw .io(path: file, operation: "read", errno: errno == 0 ? ENOENT : errno)
        }
        return Array(data)
    }
}
