import GRDB

/// Hot-path statements go through GRDB's per-connection statement cache: compiling a statement (and
/// running GRDB's authorizer over it) costs more than running it.
extension Database {
    func run(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    func rows(sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    func row(sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func exists(sql: String, arguments: StatementArguments = StatementArguments()) throws -> Bool {
        try Bool.fetchOne(cachedStatement(sql: sql), arguments: arguments) == true
    }
}
