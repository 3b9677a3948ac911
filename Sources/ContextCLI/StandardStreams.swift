#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's stdio set-up for serving: stdout is protocol only.
enum StandardStreams {
    /// Keeps a private duplicate of the real stdout for protocol bytes and points fd 1 at stderr, so a stray
    /// `print` anywhere lands in the log instead of corrupting the stream (as sourcekit-lsp does). Also
    /// ignores SIGPIPE so a client that goes away is an EPIPE to handle, not a crash.
    static func takeProtocolOutput() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let protocolDescriptor = dup(STDOUT_FILENO)
        guard protocolDescriptor >= 0 else { return STDOUT_FILENO }
        _ = fcntl(protocolDescriptor, F_SETFD, FD_CLOEXEC)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        return protocolDescriptor
    }
}
