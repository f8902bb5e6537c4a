import EndpointModel
import Foundation
import MCP

/// Who is calling a tool, as the transport knows it.
struct MCPCaller: Sendable {
    /// The consumer key the HTTP request carried, or the one `promptc mcp` was started with.
    var key: String?
    /// The HTTP request's id, so the usage record and the HTTP log line share it; nil makes one.
    var requestID: String?
}

/// Prompt endpoints as MCP tools (gateway-contract.md, MCP: prompt endpoints as tools), for
/// every transport: what `tools/list` shows a caller, and `tools/call` run through the same
/// `PromptPipeline` as a REST request, recorded by the same `OutcomeRecorder` with front `mcp`.
struct MCPToolbox: Sendable {
    static let serverName = "promptc"

    /// Each list and call uses the core current at that moment: a session outlives reloads.
    let cores: CoreHolder
    let version: String

    /// The tools `key`'s consumer may call (all of them when no consumers are configured),
    /// less the endpoints that are gone.
    func tools(for key: String?, now: Int64 = EndpointLifecycle.now()) -> [Tool] {
        let core = cores.current
        let allowed = allowedEndpoints(for: key, in: core)
        return core.endpoints.filter { endpoint in
            allowed?.contains(endpoint.name) ?? true && !(endpoint.lifecycle?.isGone(at: now) ?? false)
        }.map { Self.tool($0, now: now) }
    }

    /// nil for every endpoint; an empty set for a key that is not a consumer's.
    private func allowedEndpoints(for key: String?, in core: GatewayCore) -> Set<String>? {
        guard !core.consumers.isEmpty else { return nil }
        guard let key, let entry = core.consumers.entry(forKey: key) else { return [] }
        return entry.endpoints
    }

    static func tool(_ endpoint: ServedEndpoint, now: Int64) -> Tool {
        var description = endpoint.definition.description
        if let notice = endpoint.lifecycle?.notice(at: now) { description += "\n\n" + notice }
        return Tool(
            name: endpoint.name, description: description,
            inputSchema: MCPValue.value(endpoint.definition.input.jsonSchema),
            // The model is asked anew each time, and its answers are checked, not stored.
            annotations: .init(readOnlyHint: true, openWorldHint: true),
            outputSchema: MCPValue.value(endpoint.definition.output.jsonSchema))
    }

    /// Runs `tools/call`: a valid answer is the output as `structuredContent` and as text; any
    /// refusal or failure is an `isError` result with the contract's error object as text.
    /// An unknown tool is the protocol error MCP prescribes.
    func call(_ parameters: CallTool.Parameters, caller: MCPCaller) async throws -> CallTool.Result {
        let core = cores.current
        guard let endpoint = core.endpointsByName[parameters.name] else {
            throw MCPError.invalidParams("no tool named '\(String(parameters.name.prefix(128)))'")
        }
        let seen = OutcomeRecorder.Request(
            requestID: caller.requestID ?? RequestID.make(), method: "tools/call", path: endpoint.definition.path,
            startedAt: Date(), started: .now)
        let outcome = RequestOutcome(
            front: "mcp", endpoint: endpoint.name, trace: core.runtime.tracing?.startRequest(named: "tools/call \(endpoint.name)"))
        let arguments = JSONValue.object((parameters.arguments ?? [:]).mapValues(MCPValue.json))
        let request = PipelineRequest(
            endpoint: endpoint, requestID: seen.requestID, key: caller.key, noCache: false, eventLoop: nil, readInput: { arguments })
        do {
            let answer = try await core.prompts.run(request, outcome: outcome)
            core.recorder.record(seen, status: 200, outcome: outcome.snapshot, errorType: nil)
            let text = String(buffer: answer.body)
            let output = (try? JSONParser.parse(Array(text.utf8))) ?? .null
            let structured: Value? = MCPValue.value(output)
            // What REST says in `x-promptc-*` headers, under `_meta` with promptc's prefix.
            var meta: [String: Value] = [
                "promptc/model": .string(answer.model), "promptc/attempts": .int(answer.calls), "promptc/request_id": .string(seen.requestID),
            ]
            if let cache = answer.cache { meta["promptc/cache"] = .string(cache) }
            return CallTool.Result(
                content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: structured, isError: false,
                _meta: Metadata(additionalFields: meta))
        } catch {
            let refusal = GatewayError.from(error)
            core.recorder.record(seen, status: Int(refusal.status.code), outcome: outcome.snapshot, errorType: refusal.type)
            let text = CanonicalJSON.render(refusal.body(requestID: seen.requestID), pretty: false)
            return CallTool.Result(
                content: [.text(text: text, annotations: nil, _meta: nil)], isError: true,
                _meta: Metadata(additionalFields: ["promptc/request_id": .string(seen.requestID)]))
        }
    }

    /// An MCP server for one client (one HTTP session, or the stdio process): the SDK's `Server`
    /// takes one `initialize`, so each client gets its own. `caller` says, inside a handler,
    /// who the request came from.
    func makeServer(caller: @escaping @Sendable () -> MCPCaller) async -> Server {
        let server = Server(
            name: Self.serverName, version: version,
            instructions: "Each tool is a prompt endpoint: send its input, get its output, checked against the output schema.",
            capabilities: .init(tools: .init(listChanged: false)))
        let toolbox = self
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: toolbox.tools(for: caller().key))
        }
        await server.withMethodHandler(CallTool.self) { parameters in
            try await toolbox.call(parameters, caller: caller())
        }
        return server
    }
}
