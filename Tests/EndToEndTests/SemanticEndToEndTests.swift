import ContextTesting
import Foundation
import JSONRPC
import Testing

/// The installed model, as the test command provides it (MEMCTX_MODEL_DIR).
private enum Model {
    static let directory = ProcessInfo.processInfo.environment["MEMCTX_MODEL_DIR"] ?? ""
    static let isPresent = !directory.isEmpty
        && ["config.json", "vocab.txt", "model.safetensors"].allSatisfy {
            FileManager.default.isReadableFile(atPath: directory + "/" + $0)
        }
}

/// `memctx embed`, `memctx reindex`, `health` and semantic search through the built binary.
@Suite(
    "semantic search through the binary",
    .serialized,
    .enabled(if: Model.isPresent, "MEMCTX_MODEL_DIR does not hold the model: run scripts/test.sh, which fetches it")
)
struct SemanticEndToEndTests {
    private let home = ServerProcess.makeTemporaryHome()

    private func run(_ arguments: [String], stdin: String? = nil, withModel: Bool = true) throws -> CommandRun {
        try CommandRun.run(
            arguments,
            stdin: stdin,
            environment: [
                "MEMCTX_HOME": home, "MEMCTX_PROJECT": "e2e",
                "MEMCTX_MODEL_DIR": withModel ? Model.directory : home + "/no-model",
            ]
        )
    }

    private func vectors(_ output: String) throws -> [[Double]] {
        try output.split(separator: "\n").map { line in
            try JSONValue.parse(String(line)).arrayValue?.compactMap { value -> Double? in
                switch value {
                case .double(let number): number
                case .int(let number): Double(number)
                default: nil
                }
            } ?? []
        }
    }

    @Test func embedPrintsTheSentenceTransformersVector() throws {
        let result = try run(["embed", "The cat sits outside"])
        #expect(result.status == 0, "\(result.stderr)")
        let vector = try #require(try vectors(result.stdout).first)
        #expect(vector.count == 384)
        for (value, expected) in zip(vector, [0.13919113, 0.00302905875, 0.0470147414, 0.0395738334]) {
            #expect(abs(value - expected) <= 1e-5)
        }
        #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    }

    @Test func embedLinesGivesOneVectorPerLine() throws {
        let result = try run(["embed", "--lines", "-"], stdin: "The cat sits outside\nThe dog plays in the garden\n")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try vectors(result.stdout)
        #expect(lines.count == 2)
        let cosine = zip(lines[0], lines[1]).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(cosine - 0.28375505) <= 1e-5)
        let tokens = try run(["embed", "--tokens", "The cat sits outside"])
        #expect(tokens.stdout == "[101,1996,4937,7719,2648,102]\n")
    }

    @Test func embedWithoutTheModelSaysWhatToDo() throws {
        let result = try run(["embed", "hello"], withModel: false)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("fetch-model.sh"))
    }

    @Test func healthSaysWhetherSemanticSearchIsAvailable() throws {
        let with = try JSONValue.parse(try run(["call", "health"]).stdout)
        #expect(["ok", "loading"].contains(with["embedding"]?["status"]?.stringValue ?? ""))
        #expect(with["embedding"]?["model"] == "sentence-transformers/all-MiniLM-L6-v2")
        let without = try JSONValue.parse(try run(["call", "health"], withModel: false).stdout)
        #expect(without["embedding"]?["status"] == "not installed")
        #expect(without["embedding"]?["searchModes"] == .array(["lexical"]))
        let search = try run(["call", "searchPatterns", "--params", #"{"query":"retry"}"#], withModel: false)
        #expect(try JSONValue.parse(search.stdout)["note"]?.stringValue?.contains("lexical") == true)
    }

    @Test func itemsSavedWithoutTheModelAreFoundByMeaningAfterReindex() throws {
        let save = try run(
            ["call", "savePattern", "--params", #"{"name":"Retry HTTP calls with exponential backoff and jitter","patternType":"workflow"}"#],
            withModel: false
        )
        #expect(save.status == 0, "\(save.stderr)")
        let query = #"{"query":"keep hammering a flaky remote service without making things worse","mode":"semantic"}"#
        let before = try JSONValue.parse(try run(["call", "searchPatterns", "--params", query]).stdout)
        #expect(before["hits"]?.arrayValue?.isEmpty == true, "no vector yet")
        let reindex = try run(["reindex"])
        #expect(reindex.status == 0, "\(reindex.stderr)")
        #expect(reindex.stderr.contains("1 patterns"))
        let after = try JSONValue.parse(try run(["call", "searchPatterns", "--params", query]).stdout)
        let hit = try #require(after["hits"]?.arrayValue?.first)
        #expect(hit["pattern"]?["name"] == "Retry HTTP calls with exponential backoff and jitter")
        #expect(hit["signals"]?["semanticRank"] == 1)
        #expect(after["mode"] == "semantic")
    }

    @Test func hybridSearchOverPipesFindsParaphrasesAndCodes() throws {
        let server = try ServerProcess(
            arguments: ["--log-level", "error"],
            framing: .ndjson,
            environment: ["MEMCTX_HOME": home, "MEMCTX_MODEL_DIR": Model.directory]
        )
        var id = 0
        func call(_ method: String, _ params: String) throws -> JSONValue {
            id += 1
            try server.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
            let response = try #require(try server.next())
            #expect(response["error"] == nil, "\(method): \(response)")
            return response["result"] ?? .null
        }
        _ = try call("savePattern", #"{"name":"Port already in use","patternType":"error","description":"listen EADDRINUSE: a previous dev server still holds the port; find it with lsof -i and kill it"}"#)
        _ = try call("savePattern", #"{"name":"Split the monolith by bounded context","patternType":"architecture","description":"carve services along domain boundaries, one database each"}"#)
        _ = try call("saveCheckpoint", #"{"description":"Container killed with exit code 137","content":"OOM killer: raised the memory limit to 1Gi"}"#)

        let code = try call("search", #"{"query":"EADDRINUSE"}"#)
        #expect(code["mode"] == "hybrid")
        #expect(code["hits"]?.arrayValue?.first?["pattern"]?["name"] == "Port already in use")
        let paraphrase = try call("search", #"{"query":"my app ran out of memory and the kernel terminated it"}"#)
        #expect(paraphrase["hits"]?.arrayValue?.first?["checkpoint"]?["description"] == "Container killed with exit code 137")
        let context = try call("loadContext", #"{"query":"break a big application into smaller services","tokenBudget":200}"#)
        #expect(context["mode"] == "hybrid")
        #expect(context["context"]?.stringValue?.contains("bounded context") == true)
        try server.closeInput()
        #expect(server.waitForExit() == 0)
    }

    @Test func embeddingNeverHoldsUpHealthOrListings() throws {
        let server = try ServerProcess(
            arguments: ["--log-level", "error"],
            framing: .ndjson,
            environment: ["MEMCTX_HOME": home, "MEMCTX_MODEL_DIR": Model.directory]
        )
        // Six long checkpoints: each embedding is a full 256-token forward pass, run one at a time.
        let content = String(repeating: "the deployment pipeline rebuilt every container image after the cache key changed ", count: 40)
        for index in 1...6 {
            try server.send(#"{"jsonrpc":"2.0","id":\#(index),"method":"saveCheckpoint","params":{"description":"long \#(index)","content":"\#(content)"}}"#)
        }
        try server.send(#"{"jsonrpc":"2.0","id":"health","method":"health"}"#)
        try server.send(#"{"jsonrpc":"2.0","id":"list","method":"listSessions"}"#)
        var order: [JSONValue] = []
        for _ in 0..<8 {
            let response = try #require(try server.next())
            #expect(response["error"] == nil, "\(response)")
            order.append(response["id"] ?? .null)
        }
        let lastWrite = try #require(order.lastIndex { if case .int = $0 { true } else { false } })
        #expect(try #require(order.firstIndex(of: "health")) < lastWrite, "health waited for the embeddings: \(order)")
        #expect(try #require(order.firstIndex(of: "list")) < lastWrite, "listSessions waited for the embeddings: \(order)")
        try server.closeInput()
        #expect(server.waitForExit() == 0)
    }
}
