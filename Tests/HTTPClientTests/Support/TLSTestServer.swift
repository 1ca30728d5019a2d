import Foundation

/// Certificates made with the `openssl` command for one TLS test, in a directory of their own: a CA, a
/// server certificate for 127.0.0.1 and localhost, a client certificate (CN `egw-client`) from the
/// same CA, and an unrelated CA that must not be trusted.
struct TLSFixture: Sendable {
    let directory: URL
    var caCertificate: String { path("ca.crt") }
    var serverCertificate: String { path("server.crt") }
    var serverKey: String { path("server.key") }
    var clientCertificate: String { path("client.crt") }
    var clientKey: String { path("client.key") }
    var otherCACertificate: String { path("other-ca.crt") }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    static func make() throws -> TLSFixture {
        let directory = try makeTemporaryDirectory("tls")
        let fixture = TLSFixture(directory: directory)
        func openssl(_ arguments: String...) throws {
            try run("/usr/bin/openssl", arguments, in: directory)
        }
        func write(_ name: String, _ text: String) throws {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try run("/usr/bin/openssl", ["req", "-x509"] + key + ["-keyout", "\(ca).key", "-out", "\(ca).crt",
                                                           "-days", "2", "-subj", "/CN=egw-test-\(ca)"], in: directory)
        }
        try write("server.ext", """
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature
            extendedKeyUsage=serverAuth
            subjectAltName=IP:127.0.0.1,DNS:localhost
            """)
        try write("client.ext", """
            basicConstraints=CA:FALSE
            keyUsage=digitalSignature
            extendedKeyUsage=clientAuth
            """)
        for (name, subject) in [("server", "/CN=127.0.0.1"), ("client", "/CN=egw-client")] {
            try run("/usr/bin/openssl", ["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject],
                    in: directory)
            try openssl("x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                        "-out", "\(name).crt", "-days", "2", "-extfile", "\(name).ext")
        }
        return fixture
    }
}

/// A python3 HTTPS server (the `ssl` module) on 127.0.0.1 serving with the fixture's server
/// certificate. Client certificates are optional and verified against the fixture's CA; every
/// answer is JSON `{"path": ..., "client": <client certificate CN or "none">}`.
///
/// The child inherits the test runner's blocked signals, so SIGTERM would never reach it: it exits
/// when its stdin closes instead (also when the test process dies), and ``stop()`` sends SIGKILL.
final class TLSTestServer: Sendable {
    let port: Int
    private let process: Process
    private let input: Pipe

    private static let script = """
        import http.server, json, os, ssl, sys, threading
        def exit_when_stdin_closes():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                client = "none"
                for rdn in (self.connection.getpeercert() or {}).get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            client = value
                body = json.dumps({"path": self.path, "client": client}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[1], sys.argv[2])
        context.load_verify_locations(sys.argv[3])
        context.verify_mode = ssl.CERT_OPTIONAL
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.socket = context.wrap_socket(server.socket, server_side=True)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    init(_ fixture: TLSFixture) throws {
        let scriptPath = fixture.path("server.py")
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [scriptPath, fixture.serverCertificate, fixture.serverKey, fixture.caCertificate]
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.input = input
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { break }
            line += more
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw TestTimeout(what: "the python TLS server to print its port")
        }
        self.process = process
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Runs a command, throwing with its output if it fails.
func run(_ executable: String, _ arguments: [String], in directory: URL) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    struct CommandFailed: Error, CustomStringConvertible { let description: String }
    guard process.terminationStatus == 0 else {
        throw CommandFailed(description: "\(executable) \(arguments.joined(separator: " ")) failed: \(text)")
    }
}
