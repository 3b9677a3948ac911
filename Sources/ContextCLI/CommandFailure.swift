/// A command that failed for a reason the user can fix: one line on stderr, exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
