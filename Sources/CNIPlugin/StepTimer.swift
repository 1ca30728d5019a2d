import Logging

/// Debug records of how long each step of one command took (metadata `step` and `ms`, the time
/// since the previous step), so a slow ADD or DEL can be taken apart from its log alone; the
/// benchmark sums them per step. Below debug level a step costs one clock reading.
struct StepTimer {
    let logger: Logger
    let command: String
    private let clock = ContinuousClock()
    private var last: ContinuousClock.Instant

    init(logger: Logger, command: String) {
        self.logger = logger
        self.command = command
        last = clock.now
    }

    /// Records that `step` has just finished.
    mutating func lap(_ step: String) {
        let now = clock.now
        let elapsed = (now - last).components
        last = now
        let milliseconds = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        logger.debug("\(command) step \(step) done", metadata: ["step": .string(step), "ms": .stringConvertible(milliseconds)])
    }
}
