import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A scratch directory removed when the test releases it.
final class ScratchDirectory: @unchecked Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "kubetests-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `contents` to `name` (subdirectories created) and returns the full path.
    @discardableResult
    func write(_ name: String, _ contents: String, executable: Bool = false) throws -> String {
        let file = "\(path)/\(name)"
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        if executable {
            try writeExecutable(file, contents)
        } else {
            try contents.write(toFile: file, atomically: true, encoding: .utf8)
        }
        return file
    }

    /// Foundation's writers open without O_CLOEXEC, so a process that another test forks meanwhile inherits the
    /// write descriptor, and executing the script then fails with ETXTBSY ("Text file busy").
    private func writeExecutable(_ file: String, _ contents: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let bytes = Array(contents.utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: "\(path)/\(name)", encoding: .utf8)
    }
}

extension String {
    var base64: String { Data(utf8).base64EncodedString() }
}
