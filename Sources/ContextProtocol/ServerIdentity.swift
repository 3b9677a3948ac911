/// Who we are on the wire: the `serverInfo` of `initialize` and the version of `health` and `--version`.
package enum ServerIdentity {
    package static let name = "memctx"
    package static let version = "0.1.0"
}
