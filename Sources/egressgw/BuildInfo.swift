/// What `egressgw version` reports about the binary itself.
///
/// `gitCommit` is added by the GitCommitStamp build plugin (Plugins/), which writes it at build time
/// from the checkout being built into a file under `.build`: nothing generated is ever committed,
/// and the value does not depend on where the binary later runs.
enum BuildInfo {
    /// The release version; `-dev` until releases are cut.
    static let version = "0.1.0-dev"

    /// The version of the Swift compiler that built this binary, to the minor version.
    static let swiftCompiler: String = {
        #if compiler(>=6.5)
        "6.5 or later"
        #elseif compiler(>=6.4)
        "6.4"
        #elseif compiler(>=6.3)
        "6.3"
        #elseif compiler(>=6.2)
        "6.2"
        #elseif compiler(>=6.1)
        "6.1"
        #else
        "6.0"
        #endif
    }()
}
