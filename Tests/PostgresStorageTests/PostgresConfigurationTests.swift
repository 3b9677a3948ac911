import ContextCore
import PostgresStorage
import Testing

@Suite("PostgresConfiguration")
struct PostgresConfigurationTests {
    @Test func parsesEveryPartOfTheURL() throws {
        let configuration = try PostgresConfiguration(
            url:
                "postgres://mem%20ctx:s3cr%40t%3Aword@db.example.com:6543/team%20memory?sslmode=verify-full&application_name=agent&connect_timeout=7"
        )
        #expect(configuration.username == "mem ctx")
        #expect(configuration.password == "s3cr@t:word")
        #expect(configuration.host == "db.example.com")
        #expect(configuration.port == 6543)
        #expect(configuration.database == "team memory")
        #expect(configuration.tlsMode == .verifyFull)
        #expect(configuration.applicationName == "agent")
        #expect(configuration.connectTimeout == .seconds(7))
    }

    @Test func appliesDefaults() throws {
        let configuration = try PostgresConfiguration(url: "postgresql://memctx@localhost/memctx")
        #expect(configuration.port == 5432)
        #expect(configuration.password == nil)
        #expect(configuration.tlsMode == .prefer)
        #expect(configuration.poolSize == 10)
        #expect(configuration.connectTimeout == .seconds(3))
        #expect(configuration.queryTimeout == .seconds(30))
        #expect(configuration.schema == nil)
        #expect(try PostgresConfiguration(url: "postgres://u@h").database == nil)
        #expect(try PostgresConfiguration(url: "postgres://u@h/").database == nil)
    }

    @Test(arguments: [
        ("disable", PostgresConfiguration.TLSMode.disable),
        ("prefer", .prefer),
        ("require", .require),
        ("verify-ca", .verifyCA),
        ("verify-full", .verifyFull),
    ])
    func readsEverySSLMode(_ text: String, _ mode: PostgresConfiguration.TLSMode) throws {
        #expect(try PostgresConfiguration(url: "postgres://u:p@h/db?sslmode=\(text)").tlsMode == mode)
    }

    @Test func readsIPv6Hosts() throws {
        let configuration = try PostgresConfiguration(url: "postgres://u:p@[::1]:5433/db?sslmode=disable")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 5433)
        #expect(configuration.endpoint == "[::1]:5433")
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let configuration = try PostgresConfiguration(
            url: "postgres://memctx:hunter2-Secret@db:5432/memory?sslmode=require")
        #expect(!configuration.description.contains("hunter2"))
        #expect(configuration.description == "postgres://memctx@db:5432/memory?sslmode=require")
        #expect(!"\(configuration)".contains("hunter2"))
    }

    @Test(arguments: [
        "mysql://u:hunter2-Secret@h/db",
        "u:hunter2-Secret@h/db",
        "postgres://h/db",
        "postgres://:hunter2-Secret@h/db",
        "postgres://u:hunter2-Secret@/db",
        "postgres://u:hunter2-Secret@h:99999/db",
        "postgres://u:hunter2-Secret@h:port/db",
        "postgres://u:hunter2-Secret@h1,h2/db",
        "postgres://u:hunter2-Secret@h/db?sslmode=allow",
        "postgres://u:hunter2-Secret@h/db?sslmode=bogus",
        "postgres://u:hunter2-Secret@h/db?schema=x",
        "postgres://u:hunter2-Secret@h/db?connect_timeout=soon",
        "postgres://u:hunter2-Secret@h/db?sslrootcert=/nonexistent/root.pem",
        "postgres://u:hunter2-Secret@[::1/db",
        "postgres://u:hunter2%zz@h/db",
    ])
    func rejectsBadURLsWithoutEchoingThem(_ url: String) {
        do {
            _ = try PostgresConfiguration(url: url)
            Issue.record("accepted \(url)")
        } catch {
            #expect(error.code == .invalidInput)
            #expect(error.message.hasPrefix("MEMCTX_DATABASE_URL "))
            #expect(!error.message.contains("hunter2"), "the password leaked: \(error.message)")
            #expect(!error.message.contains(url))
        }
    }

    @Test func unsupportedSSLModeListsTheSupportedOnes() {
        #expect {
            try PostgresConfiguration(url: "postgres://u@h/db?sslmode=allow")
        } throws: { error in
            let message = (error as? ContextError)?.message ?? ""
            return message.contains("'allow'") && message.contains("verify-full") && message.contains("require")
        }
    }

    @Test func storeRefusesSchemaNamesThatAreNotPlainIdentifiers() throws {
        var configuration = try PostgresConfiguration(url: "postgres://u@h/db")
        for name in ["Upper", "1abc", "a-b", "a;drop", "x\"y", String(repeating: "a", count: 64)] {
            configuration.schema = name
            #expect(throws: ContextError.self, "schema \(name)") {
                try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
            }
        }
        configuration.schema = "memctx_team_1"
        _ = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
    }
}
