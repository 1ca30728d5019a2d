#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Installs the CNI plugin on the host: copies the self-contained bundle (the `egressgw` binary
/// and the shared libraries it loads through its `$ORIGIN/lib` rpath) into a directory named
/// after its content, then points `egressgw-cni` and `egressgw-cni-ipam` in the CNI bin directory
/// at it.
///
/// Nothing the runtime may be executing is ever rewritten: a new bundle goes to a new directory,
/// and each symlink is replaced by renaming a new one over it. (Upstream's copy opened the running
/// binary without truncation.)
public struct PluginInstaller: Sendable {
    /// The names a conflist's `type` resolves to; the upstream ones only on request.
    public static let pluginNames = ["egressgw-cni", "egressgw-cni-ipam"]
    public static let upstreamNames = ["kube-egress-cni", "kube-egress-cni-ipam"]
    /// The bundle's executable, relative to the bundle directory.
    public static let executable = "egressgw"

    /// The bundle to install (`egressgw` and `lib/`).
    public let bundle: String
    /// The runtime's plugin directory (`/opt/cni/bin`).
    public let binDirectory: String
    /// Also link the Go version's names, so a leftover conflist entry runs this plugin.
    public let upstreamAliases: Bool

    public init(bundle: String, binDirectory: String, upstreamAliases: Bool = false) {
        self.bundle = bundle
        self.binDirectory = binDirectory
        self.upstreamAliases = upstreamAliases
    }

    /// Where bundles live on the host: one directory per content hash.
    public var storeDirectory: String { binDirectory + "/egressgw-bundle" }

    /// Installs; returns the installed executable's path. Repeating it with the same bundle changes nothing.
    @discardableResult
    public func install() throws(InstallError) -> String {
        let files = try bundleFiles()
        let digest = try contentDigest(files)
        let target = storeDirectory + "/" + digest
        if !FileManager.default.fileExists(atPath: target + "/" + Self.executable) {
            try copyBundle(files, to: target)
        }
        let executable = target + "/" + Self.executable
        for name in Self.pluginNames + (upstreamAliases ? Self.upstreamNames : []) {
            try link(binDirectory + "/" + name, to: executable)
        }
        try removeOtherBundles(keeping: digest)
        return executable
    }

    /// Relative paths of the bundle's regular files, the executable first.
    func bundleFiles() throws(InstallError) -> [String] {
        guard FileManager.default.isExecutableFile(atPath: bundle + "/" + Self.executable) else {
            throw .bundle(path: bundle, reason: "has no executable \(Self.executable)")
        }
        let libraries = (try? FileManager.default.contentsOfDirectory(atPath: bundle + "/lib")) ?? []
        return [Self.executable] + libraries.sorted().map { "lib/" + $0 }
    }

    /// FNV-1a 64 over names and bytes: a changed bundle lands in a new directory.
    func contentDigest(_ files: [String]) throws(InstallError) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        for file in files {
            mix(file.utf8)
            guard let data = FileManager.default.contents(atPath: bundle + "/" + file) else {
                throw .bundle(path: bundle + "/" + file, reason: "cannot be read")
            }
            mix(data)
        }
        return String(hash, radix: 16)
    }

    /// Copies into `<target>.tmp-<pid>` and renames it to `target`, so a half-copied bundle is never used.
    func copyBundle(_ files: [String], to target: String) throws(InstallError) {
        let staging = target + ".tmp-\(getpid())"
        do {
            try? FileManager.default.removeItem(atPath: staging)
            try FileManager.default.createDirectory(atPath: staging + "/lib", withIntermediateDirectories: true)
            for file in files {
                try FileManager.default.copyItem(atPath: bundle + "/" + file, toPath: staging + "/" + file)
            }
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: staging, toPath: target)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw .copy(path: target, reason: "\(error)")
        }
    }

    /// Points `path` at `target` with a new symlink renamed over the old entry.
    func link(_ path: String, to target: String) throws(InstallError) {
        if let current = try? FileManager.default.destinationOfSymbolicLink(atPath: path), current == target { return }
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        guard symlink(target, temporary) == 0 else { throw .link(path: temporary, errno: errno) }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw .link(path: path, errno: code)
        }
    }

    /// Deletes older bundles. A plugin still running from one keeps its open files.
    func removeOtherBundles(keeping digest: String) throws(InstallError) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: storeDirectory)) ?? []
        for entry in entries where entry != digest {
            try? FileManager.default.removeItem(atPath: storeDirectory + "/" + entry)
        }
    }
}

/// Why the plugin could not be installed.
public enum InstallError: Error, Sendable, CustomStringConvertible {
    case bundle(path: String, reason: String)
    case copy(path: String, reason: String)
    case link(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .bundle(let path, let reason): "plugin bundle \(path) \(reason)"
        case .copy(let path, let reason): "cannot copy the plugin bundle to \(path): \(reason)"
        case .link(let path, let errno): "cannot create symlink \(path): errno \(errno)"
        }
    }
}
