#if canImport(Glibc)
import Glibc
#endif

/// Figures of this process (and others) read from `/proc`, and the formatting the benchmarks print them with.
enum ProcessMeasurements {
    /// `VmHWM` (KiB), the peak resident set of a process's current address space.
    static func peakMemory(ofProcess process: String = "self") -> Int? { statusField("VmHWM", ofProcess: process) }

    /// `VmRSS` (KiB), the resident set now.
    static func residentMemory(ofProcess process: String = "self") -> Int? { statusField("VmRSS", ofProcess: process) }

    /// Sets this process's `VmHWM` back to its current resident set (`clear_refs` value 5, Linux 4.0+), so a
    /// later reading is the peak of what follows only. False when the kernel refuses.
    static func resetPeakMemory() -> Bool {
        let fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    /// User plus system CPU time of this process's children that have exited and been waited for,
    /// with their own waited-for descendants: the difference over a phase in which only the plugin
    /// runs is the plugin's CPU, which unlike its latency hardly depends on what else the machine does.
    static func childrenCPUTime() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return .seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + .microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    }

    private static func statusField(_ field: String, ofProcess process: String) -> Int? {
        guard let status = readFile("/proc/\(process)/status") else { return nil }
        let line = String(decoding: status, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(field + ":") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }

    /// The pids of the processes whose command line (`/proc/PID/cmdline`, split at NULs) passes `matches`.
    static func processes(matching matches: ([String]) -> Bool) -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var found: [pid_t] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), let cmdline = readFile("/proc/\(name)/cmdline") else { continue }
            if matches(cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }) { found.append(pid) }
        }
        return found
    }

    /// `label: p50 …, p90 …, p99 …, max … (N samples)`.
    static func percentiles(_ label: String, _ samples: [Duration]) -> String {
        guard !samples.isEmpty else { return "\(label): no samples" }
        let sorted = samples.sorted()
        let ranks = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)].map { "\($0) \(format(percentile($1, ofSorted: sorted)))" }
        return "\(label): \(ranks.joined(separator: ", ")), max \(format(sorted[sorted.count - 1])) (\(sorted.count) samples)"
    }

    /// The sample at rank `p` (0...1) of a sorted, non-empty list, rounded down.
    static func percentile(_ p: Double, ofSorted sorted: [Duration]) -> Duration {
        sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
    }

    /// Milliseconds, or seconds from one second on, with two decimals.
    static func format(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds >= 1000 ? "\(rounded(milliseconds / 1000)) s" : "\(rounded(milliseconds)) ms"
    }

    static func rounded(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = abs(hundredths % 100)
        return "\(hundredths < 0 && hundredths > -100 ? "-" : "")\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    static func mebibytes(kibibytes: Int) -> String { "\(rounded(Double(kibibytes) / 1024)) MiB" }
}

extension Duration {
    var milliseconds: Double {
        let parts = components
        return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
    }
}
