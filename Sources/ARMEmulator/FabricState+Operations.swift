import Foundation

/// Long-running operations: a write is applied at once but shows `Creating`/`Updating`/`Deleting` until its
/// operation has been polled enough times, as Azure's resource providers report work in progress.
extension FabricState {
    /// Starts an operation on a resource just written (or about to be deleted).
    mutating func beginOperation(on id: ResourceID, isDelete: Bool, created: Bool, polls: Int, failure: ARMError?,
                                 lifetime: Duration? = nil) -> PendingOperation
    {
        let operation = PendingOperation(id: UUID().uuidString.lowercased(), target: id, isDelete: isDelete,
                                         pollsLeft: max(polls, 1), failure: failure,
                                         deadline: lifetime.map { ContinuousClock.now + $0 })
        operations[operation.id] = operation
        if var resource = resources[id.key] {
            resource.pendingOperation = operation.id
            resource.body[path: "properties", "provisioningState"] = .string(isDelete ? "Deleting" : created ? "Creating" : "Updating")
            resources[id.key] = resource
        }
        return operation
    }

    /// Counts one poll of an operation and finishes it when its polls are used up.
    mutating func poll(_ operationID: String) throws(ARMError) -> PendingOperation {
        guard var operation = operations[operationID] else {
            throw ARMError(status: 404, code: "OperationNotFound", message: "Operation \(operationID) was not found.")
        }
        guard operation.status == "InProgress" else { return operation }
        operation.pollsLeft -= 1
        if operation.pollsLeft <= 0 {
            operation.status = operation.failure == nil ? "Succeeded" : "Failed"
            finish(operation)
        }
        operations[operationID] = operation
        return operation
    }

    /// Finishes the operations whose lifetime is over, whether or not their client still polls them (a client
    /// that was killed never will).
    mutating func finishExpiredOperations(now: ContinuousClock.Instant = .now) {
        for (id, operation) in operations where operation.status == "InProgress" {
            guard let deadline = operation.deadline, deadline <= now else { continue }
            var finished = operation
            finished.status = operation.failure == nil ? "Succeeded" : "Failed"
            finish(finished)
            operations[id] = finished
        }
    }

    private mutating func finish(_ operation: PendingOperation) {
        guard var resource = resources[operation.target.key], resource.pendingOperation == operation.id else { return }
        if operation.failure == nil, operation.isDelete {
            remove(operation.target)
            return
        }
        resource.pendingOperation = nil
        resource.body[path: "properties", "provisioningState"] = .string(operation.failure == nil ? "Succeeded" : "Failed")
        resources[operation.target.key] = resource
    }

    /// Runs `change` on a copy and keeps the result only if it succeeds, so a refused request changes nothing.
    mutating func atomically<T>(_ change: (inout FabricState) throws(ARMError) -> T) throws(ARMError) -> T {
        var copy = self
        let result = try change(&copy)
        self = copy
        return result
    }
}
