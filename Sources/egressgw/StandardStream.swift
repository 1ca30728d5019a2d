#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Standard output and standard error written with `write(2)`: unbuffered, so what a role printed
/// has reached its reader (the container runtime, for a CNI plugin) before the process exits.
enum StandardStream: Int32 {
    case output = 1
    case error = 2

    /// Writes all of `text`; a closed stream is ignored, there is nowhere left to report it.
    func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(rawValue, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if !(written < 0 && errno == EINTR) {
                    return
                }
            }
        }
    }
}

extension StandardStream {
    /// All of standard input, up to end of file (the CNI network config).
    static func readInput() -> [UInt8] {
        var input: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(0, &chunk, chunk.count)
            if count > 0 {
                input += chunk[0..<count]
            } else if !(count < 0 && errno == EINTR) {
                return input
            }
        }
    }
}

private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
