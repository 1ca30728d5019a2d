/// What an ADD has changed so far, as undo steps: when a later step fails, every recorded change
/// is undone in reverse order, so a failed ADD leaves the node and the pod as they were.
///
/// One journal belongs to one ADD; it is not shared between tasks.
final class RollbackJournal {
    private var steps: [(description: String, undo: () async throws -> Void)] = []

    /// Records how to undo a change that has just succeeded.
    func record(_ description: String, _ undo: @escaping () async throws -> Void) {
        steps.append((description, undo))
    }

    /// What rolling back would undo, oldest first.
    var descriptions: [String] { steps.map(\.description) }

    /// Undoes every recorded change, newest first, whatever fails on the way; returns the
    /// descriptions of the steps that failed, with their errors.
    func rollBack() async -> [String] {
        var failures: [String] = []
        for step in steps.reversed() {
            do {
                try await step.undo()
            } catch {
                failures.append("\(step.description): \(error)")
            }
        }
        steps.removeAll()
        return failures
    }
}
