import Foundation
import MCP

/// Why `promptc mcp` cannot serve.
public struct MCPStdioError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

extension Gateway {
    /// `promptc mcp`: the same tools as `/mcp`, over standard input and output, until standard
    /// input ends; then the answers still owed are written and the usage records flushed.
    ///
    /// With consumers configured the process acts for one consumer, whose key it is given
    /// (`PROMPTC_API_KEY`): a desktop client that starts it has no header to send.
    public func serveMCPOverStdio(key: String?, input: CInt = STDIN_FILENO, output: CInt = STDOUT_FILENO) async throws {
        if !consumers.isEmpty {
            guard let key else {
                throw MCPStdioError(description: "promptc.yaml configures consumers: set PROMPTC_API_KEY to the key of the consumer this client acts for")
            }
            guard consumers.entry(forKey: key) != nil else { throw MCPStdioError(description: "PROMPTC_API_KEY is not a consumer's key") }
        }
        let transport = StdioLineTransport(input: input, output: output, logger: logger)
        let server = await mcpToolbox.makeServer { MCPCaller(key: key) }
        try await server.start(transport: transport)
        logger.info("serving MCP over stdio", metadata: ["tools": .stringConvertible(endpoints.count)])
        await server.waitUntilCompleted()
        await transport.settled(within: options.shutdownTimeout)
        await server.stop()
        await shutdown()
    }
}
