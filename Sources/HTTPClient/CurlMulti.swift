import CCurl
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libcurl multi handle and the dedicated thread that drives it.
///
/// Other threads never touch the multi handle or an easy handle: they queue a command and wake the
/// thread with `curl_multi_wakeup`, the one multi call libcurl allows from anywhere. The thread
/// applies the commands, lets libcurl make progress (which runs every callback on this thread),
/// hands finished transfers their results, and sleeps in `curl_multi_poll` until a socket, a
/// libcurl timer or a wake-up needs it. Blocking waits thus never occupy the cooperative pool.
final class CurlMulti: @unchecked Sendable {
    enum Command {
        case start(Transfer)
        /// Remove the transfer now; its caller has already been told (or will be) that it was cancelled.
        case abort(Transfer)
        /// A streaming reader caught up: let a paused transfer deliver again.
        case resume(Transfer)
    }

    private struct Inbox {
        var commands: [Command] = []
        var stopping = false
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Mutex(Inbox())
    /// Transfers attached to the multi handle, by easy handle. Curl thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    /// libcurl's process-wide initialisation must run once before any handle exists; a lazily
    /// initialised global runs it exactly once, whichever thread gets there first.
    private static let globalInit: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

    init() throws(HTTPClientError) {
        guard Self.globalInit == CURLE_OK, let multi = curl_multi_init() else {
            throw .transfer(url: "", code: Int(Self.globalInit.rawValue), detail: "cannot initialise libcurl")
        }
        self.multi = multi
        // Idle connections kept for reuse, across all hosts of this client.
        _ = egressgw_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 64)
        let started = startThread { [self] in run() }
        guard started else {
            curl_multi_cleanup(multi)
            throw .transfer(url: "", code: Int(CURLE_FAILED_INIT.rawValue), detail: "cannot start the HTTP client thread")
        }
    }

    /// Queues a command; false once the client is stopping (the command is dropped).
    @discardableResult
    func submit(_ command: Command) -> Bool {
        // Waking under the lock: the thread frees the multi handle only after it has seen
        // `stopping` under this lock, so the handle is alive for every wake-up.
        inbox.withLock { inbox in
            guard !inbox.stopping else { return false }
            inbox.commands.append(command)
            curl_multi_wakeup(multi)
            return true
        }
    }

    /// Makes the thread fail every transfer with ``HTTPClientError/clientShutDown(url:)`` and exit.
    func stop() {
        inbox.withLock { inbox in
            inbox.stopping = true
            curl_multi_wakeup(multi)
        }
    }

    // MARK: The curl thread

    private func run() {
        var running: Int32 = 0
        while true {
            let (commands, stopping) = inbox.withLock { inbox in
                defer { inbox.commands = [] }
                return (inbox.commands, inbox.stopping)
            }
            for command in commands { apply(command) }
            if stopping { break }
            curl_multi_perform(multi, &running)
            collectFinished()
            let wait = expireIdleTransfers()
            curl_multi_poll(multi, nil, 0, wait, nil)
        }
        for transfer in Array(active.values) {
            detach(transfer)
            transfer.finish(.failure(.clientShutDown(url: transfer.request.url)))
        }
        curl_multi_cleanup(multi)
    }

    private func apply(_ command: Command) {
        switch command {
        case .start(let transfer):
            if transfer.isAborted {
                transfer.finish(.failure(.cancelled(url: transfer.request.url)))
                return
            }
            do throws(HTTPClientError) {
                let easy = try transfer.makeEasyHandle()
                let code = curl_multi_add_handle(multi, easy)
                guard code == CURLM_OK else {
                    throw HTTPClientError.transfer(url: transfer.request.url, code: Int(code.rawValue),
                                                   detail: String(cString: curl_multi_strerror(code)))
                }
                active[easy] = transfer
            } catch {
                transfer.finish(.failure(error))
            }
        case .abort(let transfer):
            guard let easy = transfer.easy, active[easy] != nil else { return }
            // Removing an unfinished transfer makes libcurl close its connection: the server sees
            // the abort at once.
            detach(transfer)
            transfer.finish(.failure(.cancelled(url: transfer.request.url)))
        case .resume(let transfer):
            guard let easy = transfer.easy, active[easy] != nil else { return }
            transfer.resumed()
            curl_easy_pause(easy, egressgw_curl_pause_continue)
        }
    }

    /// Fails the transfers whose idle limit ran out; returns how long the thread may sleep (in
    /// milliseconds) before the next one could.
    private func expireIdleTransfers() -> Int32 {
        let now = ContinuousClock.now
        var wait = Duration.seconds(1)
        for transfer in Array(active.values) {
            guard let deadline = transfer.idleDeadline, let idle = transfer.request.timeouts.idle else { continue }
            if deadline <= now {
                detach(transfer)
                transfer.finish(.failure(.timedOut(url: transfer.request.url, after: idle, detail: "no data received for \(idle)")))
            } else {
                wait = min(wait, deadline - now)
            }
        }
        return Int32(wait.milliseconds + 1)
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = active[easy] else { continue }
            let code = message.pointee.data.result
            detach(transfer)
            transfer.complete(code: code)
        }
    }

    private func detach(_ transfer: Transfer) {
        guard let easy = transfer.easy else { return }
        curl_multi_remove_handle(multi, easy)
        active[easy] = nil
    }

    /// Starts a detached thread running `body`.
    private func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let status = pthread_create(&thread, &attributes, { raw in
            Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        if status != 0 { Unmanaged<Box>.fromOpaque(context).release() }
        return status == 0
    }
}
