import CBLAS

#if canImport(Glibc)
    import Glibc
#endif

/// OpenBLAS, opened when the model is first loaded rather than linked: a process that never embeds (a
/// script's one call, a handshake, `health`) does not load the library or start its threads, which spin at
/// load and slowed every start-up. The header (cblas.h) still gives the types and constants.
enum OpenBLAS {
    typealias SGEMM = @convention(c) (
        CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void
    typealias Text = @convention(c) () -> UnsafeMutablePointer<CChar>?

    struct Functions: @unchecked Sendable {  // C function pointers into a library that is never closed.
        let sgemm: SGEMM
        let setThreads: SetThreads
        let config: Text
        let corename: Text
    }

    /// The library's functions, or why they cannot be had.
    static let functions: Result<Functions, SentenceEmbeddingError> = {
        let names = ["libopenblas.so.0", "libopenblas.so"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            return .failure(
                SentenceEmbeddingError(
                    .modelFilesMissing,
                    "OpenBLAS (libopenblas.so.0) cannot be loaded; install Debian's libopenblas0 (scripts/setup.sh does)"))
        }
        func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let sgemm = symbol("cblas_sgemm", as: SGEMM.self),
            let setThreads = symbol("openblas_set_num_threads", as: SetThreads.self),
            let config = symbol("openblas_get_config", as: Text.self),
            let corename = symbol("openblas_get_corename", as: Text.self)
        else {
            return .failure(SentenceEmbeddingError(.modelFilesMissing, "the OpenBLAS library found lacks cblas_sgemm"))
        }
        return .success(Functions(sgemm: sgemm, setThreads: setThreads, config: config, corename: corename))
    }()

    /// The functions; only called once the model is loaded, which checked `functions` first.
    static var loaded: Functions {
        guard case .success(let functions) = functions else { preconditionFailure("OpenBLAS used before the model loaded it") }
        return functions
    }
}
