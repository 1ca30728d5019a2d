import Foundation
import Netlink
import Testing

/// The plugin bundle runs on a node that has glibc and nothing else of ours: no Swift runtime,
/// libcurl, libsodium or libmnl. Proven in a chroot holding only glibc's loader and libraries.
@Suite(.enabled(if: Host.isRoot && FileManager.default.isExecutableFile(atPath: Binary.path)
                    && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "needs root, unshare and the built binary"))
struct BundleTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/cni-bundle.sh").path

    @Test("scripts/cni-bundle.sh output answers CNI_COMMAND=VERSION through /opt/cni/bin/egressgw-cni in a glibc-only chroot")
    func bundleInChroot() throws {
        let directory = try TemporaryDirectory()
        let root = directory.path + "/root"
        let host = NetworkNamespace.process
        try host.executeChecked("/bin/bash", [Self.script, Binary.path, root + "/bundle"])
        let glibc = ["/lib64/ld-linux-x86-64.so.2"] + ["libc.so.6", "libm.so.6", "libresolv.so.2", "libpthread.so.0", "libdl.so.2",
                                                      "librt.so.1"].map { "/lib/x86_64-linux-gnu/" + $0 }
        for file in glibc where FileManager.default.fileExists(atPath: file) {
            let target = root + file
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try host.executeChecked("/bin/cp", ["-L", file, target])
        }
        for path in ["/proc", "/opt/cni/bin"] {
            try FileManager.default.createDirectory(atPath: root + path, withIntermediateDirectories: true)
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/opt/cni/bin/egressgw-cni", withDestinationPath: "/bundle/egressgw")
        let bundled = try FileManager.default.contentsOfDirectory(atPath: root + "/bundle/lib")
        #expect(bundled.contains("libswiftCore.so") && bundled.contains("libcurl.so.4") && bundled.contains("libmnl.so.0"))
        #expect(!bundled.contains("libc.so.6"))

        // A private mount namespace for /proc (ld.so finds $ORIGIN through /proc/self/exe).
        let output = try host.execute("/usr/bin/unshare", ["--mount", "--fork", "/bin/sh", "-c",
                                                           "mount -t proc proc \"$0/proc\" && exec chroot \"$0\" /opt/cni/bin/egressgw-cni", root],
                                      environment: ["CNI_COMMAND": "VERSION", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stdout == BinaryTests.versionReply, "\(output.stdout) \(output.stderr)")
    }
}
