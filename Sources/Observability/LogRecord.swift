import Logging

/// One log call with everything a handler prints: the handler's own metadata, the metadata
/// provider's and the call's, merged in that order (a later source wins on a key clash).
public struct LogRecord: Sendable {
    public var time: LogTimestamp
    public var level: Logger.Level
    /// The logger's label, e.g. `egressgw.cni`.
    public var label: String
    public var message: String
    public var metadata: Logger.Metadata
    /// The error passed to the log call, if any.
    public var error: (any Error)?

    public init(time: LogTimestamp, level: Logger.Level, label: String, message: String,
                metadata: Logger.Metadata = [:], error: (any Error)? = nil) {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
        self.error = error
    }

    /// Builds the record for `event` as seen by a handler with `label` and `handlerMetadata`.
    init(event: LogEvent, label: String, handlerMetadata: Logger.Metadata,
         provider: Logger.MetadataProvider?, time: LogTimestamp) {
        var merged = handlerMetadata
        if let provided = provider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, new in new }
        }
        self.init(time: time, level: event.level, label: label, message: event.message.description,
                  metadata: merged, error: event.error)
    }
}
