extension ContextService {
    package func statistics(scope: ProjectScope) async throws(ContextError) -> Statistics {
        try await storage("counting items") { try await store.statistics(scope: scope) }
    }
}
