import ContextTesting
import Foundation
import JSONRPC
import Testing

/// The services of scripts/dev-services.sh, as the test command exports them.
private enum Services {
    static let databaseURL = ProcessInfo.processInfo.environment["MEMCTX_DATABASE_URL"] ?? ""
    static let chromaURL = ProcessInfo.processInfo.environment["MEMCTX_CHROMA_URL"] ?? ""
    static let arePresent = !databaseURL.isEmpty && !chromaURL.isEmpty
}

/// Misconfigured and unreachable central repositories, and `memctx doctor`, through the binary.
@Suite(
    "central repository errors and doctor through the binary",
    .serialized,
    .enabled(if: Services.arePresent, "MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL are not set: run scripts/test.sh, which starts the services")
)
struct CentralRepositoryEndToEndTests {
    private let home = ServerProcess.makeTemporaryHome()
    private let name = "e2e_errors_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)

    private func run(_ arguments: [String], _ overrides: [String: String] = [:]) throws -> CommandRun {
        var environment = [
            "MEMCTX_HOME": home, "MEMCTX_DATABASE_URL": Services.databaseURL, "MEMCTX_CHROMA_URL": Services.chromaURL,
            "MEMCTX_DATABASE_SCHEMA": name, "MEMCTX_CHROMA_PREFIX": name + "_", "MEMCTX_CHROMA_TOKEN": "tok-secret-4711",
        ]
        environment.merge(overrides) { _, new in new }
        return try CommandRun.run(arguments, environment: environment)
    }

    /// The URL with another password.
    private func withPassword(_ password: String) throws -> String {
        var components = try #require(URLComponents(string: Services.databaseURL))
        components.password = password
        return try #require(components.string)
    }

    @Test func workingConfigurationStoresCentrallyAndDoctorSaysSo() throws {
        let save = try run(["call", "saveCheckpoint", "--params", #"{"description":"central write"}"#])
        #expect(save.status == 0, "\(save.stderr)")
        #expect(try JSONValue.parse(save.stdout)["stored"] == "central")
        let health = try JSONValue.parse(try run(["call", "health"]).stdout)
        #expect(health["backends"]?["central"]?["status"] == "ok")
        #expect(health["backends"]?["vectors"]?["status"] == "ok")
        let doctor = try run(["doctor"])
        #expect(doctor.stdout.contains("ok       PostgreSQL:"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("ok       ChromaDB:"), "\(doctor.stdout)")
        #expect(!doctor.stdout.contains("tok-secret-4711"))
    }

    @Test func wrongPasswordIsAClearErrorWithoutThePassword() throws {
        let result = try run(["call", "health"], ["MEMCTX_DATABASE_URL": try withPassword("wrong-pass-9931")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("PostgreSQL"), "\(result.stderr)")
        #expect(result.stderr.contains("password authentication failed"), "\(result.stderr)")
        #expect(!result.stderr.contains("wrong-pass-9931") && !result.stdout.contains("wrong-pass-9931"))
        let doctor = try run(["doctor"], ["MEMCTX_DATABASE_URL": try withPassword("wrong-pass-9931")])
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains("PROBLEM  PostgreSQL") && doctor.stdout.contains("fix:"), "\(doctor.stdout)")
        #expect(!doctor.stdout.contains("wrong-pass-9931"))
    }

    @Test func unreachableServersAreNamedWithTheirCauseAndWritesStayLocal() throws {
        let postgresURL = "postgres://memctx:pw-77@127.0.0.1:1/memctx?sslmode=disable"
        let save = try run(["call", "saveCheckpoint", "--params", #"{"description":"written while PostgreSQL is away"}"#], ["MEMCTX_DATABASE_URL": postgresURL])
        #expect(save.status == 0, "\(save.stderr)")
        #expect(try JSONValue.parse(save.stdout)["stored"] == "local")
        #expect(save.stderr.contains("PostgreSQL") && save.stderr.contains("connection refused"), "\(save.stderr)")
        let postgres = try run(["call", "health"], ["MEMCTX_DATABASE_URL": postgresURL])
        #expect(postgres.status == 0, "\(postgres.stderr)")
        let health = try JSONValue.parse(postgres.stdout)
        #expect(health["status"] == "degraded")
        #expect(health["backends"]?["central"]?["status"] == "unavailable")
        let detail = health["backends"]?["central"]?["detail"]?.stringValue ?? ""
        #expect(detail.contains("PostgreSQL at 127.0.0.1:1") && detail.contains("connection refused"), "\(detail)")
        #expect(health["sync"]?["online"] == false)
        #expect(health["sync"]?["outboxDepth"] == 2)  // the checkpoint and the session it created
        #expect(!postgres.stdout.contains("pw-77") && !postgres.stderr.contains("pw-77"))
        let sync = try run(["sync"], ["MEMCTX_DATABASE_URL": postgresURL])
        #expect(sync.status == 1)
        #expect(try JSONValue.parse(sync.stdout)["pending"] == 2)

        let chroma = try run(["call", "health"], ["MEMCTX_CHROMA_URL": "http://127.0.0.1:1"])
        #expect(chroma.status == 0, "\(chroma.stderr)")
        let chromaHealth = try JSONValue.parse(chroma.stdout)
        let chromaDetail = chromaHealth["backends"]?["vectors"]?["detail"]?.stringValue ?? ""
        #expect(chromaDetail.contains("ChromaDB at 127.0.0.1:1") && chromaDetail.contains("unreachable"), "\(chromaDetail)")
        #expect(!chroma.stdout.contains("tok-secret-4711") && !chroma.stderr.contains("tok-secret-4711"))

        // Back on the working configuration, the waiting write reaches the central repository.
        let back = try run(["sync"])
        #expect(back.status == 0, "\(back.stderr) \(back.stdout)")
        #expect(try JSONValue.parse(back.stdout)["pending"] == 0)
    }

    @Test func halfAConfigurationIsRefused() throws {
        let result = try run(["call", "health"], ["MEMCTX_CHROMA_URL": ""])
        #expect(result.status != 0)
        #expect(result.stderr.contains("MEMCTX_DATABASE_URL") && result.stderr.contains("MEMCTX_CHROMA_URL"), "\(result.stderr)")
    }

    @Test func doctorOnAnUnmigratedDatabaseSaysHowToFixIt() throws {
        let result = try run(["doctor"], ["MEMCTX_DATABASE_SCHEMA": name + "_fresh", "MEMCTX_CHROMA_PREFIX": name + "_fresh_"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("schema not created"), "\(result.stdout)")
        #expect(result.stdout.contains("no collection for"), "\(result.stdout)")
    }
}
