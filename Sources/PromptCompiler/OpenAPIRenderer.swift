import EndpointModel

/// Renders `openapi.json`: an OpenAPI 3.1 document of every endpoint, with request and
/// response schemas, examples, and every error response of the gateway contract.
public enum OpenAPIRenderer {
    /// The gateway's error responses: status, component name, error type, when.
    static let errors: [(status: String, name: String, type: String, description: String, retryAfter: Bool)] = [
        ("400", "InvalidRequest", "invalid_request", "The body is not JSON, or it breaks the input schema; details list every violation.", false),
        ("401", "Unauthorized", "unauthorized", "Consumer keys are configured and the request has none, or an unknown one.", false),
        ("403", "Forbidden", "forbidden", "The consumer's key may not call this endpoint.", false),
        ("404", "NotFound", "not_found", "No endpoint answers on this path.", false),
        ("405", "MethodNotAllowed", "method_not_allowed", "The path exists with another method; see the Allow header.", false),
        ("413", "PayloadTooLarge", "payload_too_large", "The body is over the size limit.", false),
        ("408", "RequestTimeout", "request_timeout", "The request's head and body did not arrive within client_timeout.", false),
        ("415", "UnsupportedMediaType", "unsupported_media_type", "The body is not application/json.", false),
        ("410", "Gone", "gone", "The endpoint is past its sunset, or retired; the message names its successor.", false),
        ("429", "RateLimited", "rate_limited", "The consumer is over its rate limit.", true),
        ("502", "UpstreamFailed", "upstream_failed", "Every model in the chain failed; attempts says how.", false),
        ("503", "NoHealthyUpstream", "no_healthy_upstream", "Every model was skipped: circuit open or unconfigured.", true),
        ("504", "DeadlineExceeded", "deadline_exceeded", "The endpoint's deadline ran out.", false),
    ]

    public static func document(for table: RouteTable) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        var schemas: [String: JSONValue] = ["Error": errorSchema]
        for endpoint in table.endpoints {
            let typeName = SwiftNames.typeName(endpoint.name)
            schemas["\(typeName)Input"] = endpoint.input.jsonSchema
            schemas["\(typeName)Output"] = endpoint.output.jsonSchema
            paths[endpoint.path] = .object([endpoint.method.lowercased(): operation(endpoint, typeName: typeName)])
        }
        paths["/healthz"] = operational("healthz", "The gateway is alive.")
        paths["/readyz"] = operational("readyz", "The route table is loaded and the gateway takes requests.")
        var responses: [String: JSONValue] = [:]
        for error in errors {
            var headers: [String: JSONValue] = ["x-request-id": ref("headers", "RequestId")]
            if error.retryAfter { headers["Retry-After"] = ref("headers", "RetryAfter") }
            if error.status == "405" { headers["Allow"] = ["description": "The methods the path accepts.", "schema": ["type": "string"]] }
            responses[error.name] = [
                "description": .string(error.description),
                "headers": .object(headers),
                "content": ["application/json": [
                    "schema": ref("schemas", "Error"),
                    "example": ["error": ["type": .string(error.type), "message": .string(error.description), "request_id": "3f2c9a1e-6b1d-4c5e-9f0a-2b7d8e4c1a55"]],
                ]],
            ]
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "promptc endpoints",
                "version": "1",
                "description": "Prompt endpoints compiled by promptc. Each one validates its input, calls its models through a fallback chain and answers with output that fits its schema.",
            ],
            "paths": .object(paths),
            "components": [
                "schemas": .object(schemas),
                "responses": .object(responses),
                "headers": [
                    "RequestId": ["description": "The client's x-request-id, or a new one.", "schema": ["type": "string"]],
                    "RetryAfter": ["description": "Seconds to wait before trying again.", "schema": ["type": "integer", "minimum": 0]],
                    "Model": ["description": "The provider/model that answered.", "schema": ["type": "string"]],
                    "Attempts": ["description": "How many model calls the answer took; 0 for an answer from the cache.", "schema": ["type": "integer", "minimum": 0]],
                ],
                "securitySchemes": [
                    "bearerKey": ["type": "http", "scheme": "bearer", "description": "A consumer key, when promptc.yaml configures consumers."],
                    "apiKeyHeader": ["type": "apiKey", "in": "header", "name": "x-api-key", "description": "A consumer key, when promptc.yaml configures consumers."],
                ],
            ],
        ]
    }

    static let okDescription = "The model's answer, checked against the output schema. With `Accept: text/event-stream`, "
        + "Server-Sent Events instead: `partial` snapshots of the output as the model writes it, `fallback` when a "
        + "model fails after it began, and one `result` (the output, model, attempts and usage) or `error` at the end."

    private static func operation(_ endpoint: EndpointDefinition, typeName: String) -> JSONValue {
        var responses: [String: JSONValue] = [
            "200": [
                "description": .string(Self.okDescription),
                "headers": [
                    "x-request-id": ref("headers", "RequestId"),
                    "x-promptc-model": ref("headers", "Model"),
                    "x-promptc-attempts": ref("headers", "Attempts"),
                ],
                "content": [
                    "application/json": content(ref("schemas", "\(typeName)Output"), examples: endpoint.examples.map(\.output)),
                    "text/event-stream": ["schema": ["type": "string", "description": "event: partial|fallback|result|error, data: one JSON object"]],
                ],
            ],
        ]
        let lifecycle = endpoint.lifecycle
        // Only an endpoint with a sunset or retired can answer 410.
        for error in errors where error.status != "410" || lifecycle?.sunset != nil || lifecycle?.retired == true {
            responses[error.status] = ref("responses", error.name)
        }
        if let lifecycle, case .object(var ok) = responses["200"], case .object(var headers)? = ok["headers"] {
            if lifecycle.deprecated != nil {
                headers["Deprecation"] = ["description": "When the endpoint was deprecated, as @SECONDS (RFC 9745).", "schema": ["type": "string"]]
                if lifecycle.successor != nil {
                    headers["Link"] = ["description": "The successor's path, rel=\"successor-version\".", "schema": ["type": "string"]]
                }
            }
            if lifecycle.sunset != nil {
                headers["Sunset"] = ["description": "When the endpoint stops answering, as an HTTP date (RFC 8594).", "schema": ["type": "string"]]
            }
            ok["headers"] = .object(headers)
            responses["200"] = .object(ok)
        }
        var operation: [String: JSONValue] = [
            "operationId": .string(endpoint.name),
            "summary": .string(summary(endpoint.description)),
            "description": .string(endpoint.description),
            "tags": ["prompts"],
            "parameters": [[
                "name": "x-request-id", "in": "header", "required": false,
                "description": "An id to trace the request by; echoed in the response.", "schema": ["type": "string"],
            ]],
            "requestBody": [
                "required": true,
                "content": ["application/json": content(ref("schemas", "\(typeName)Input"), examples: endpoint.examples.map(\.input))],
            ],
            "responses": .object(responses),
            "security": [[:], ["bearerKey": []], ["apiKeyHeader": []]],
            "x-promptc-models": .array(endpoint.models.map { .string($0.model) }),
        ]
        if lifecycle?.deprecated != nil || lifecycle?.retired == true { operation["deprecated"] = true }
        for (key, value) in endpoint.extensions { operation[key] = value }
        return .object(operation)
    }

    private static func content(_ schema: JSONValue, examples: [JSONValue]) -> JSONValue {
        var media: [String: JSONValue] = ["schema": schema]
        if !examples.isEmpty {
            var named: [String: JSONValue] = [:]
            for (index, example) in examples.enumerated() { named["example\(index + 1)"] = ["value": example] }
            media["examples"] = .object(named)
        }
        return .object(media)
    }

    private static func operational(_ id: String, _ description: String) -> JSONValue {
        ["get": [
            "operationId": .string(id),
            "summary": .string(description),
            "tags": ["operations"],
            "responses": ["200": [
                "description": .string(description),
                "content": ["application/json": ["schema": ["type": "object", "properties": ["status": ["type": "string"]]]]],
            ]],
        ]]
    }

    /// The first sentence, for the operation's summary.
    private static func summary(_ description: String) -> String {
        let firstLine = description.split(separator: "\n").first.map(String.init) ?? description
        if let end = firstLine.range(of: ". ") { return String(firstLine[..<end.lowerBound]) + "." }
        return firstLine
    }

    private static func ref(_ section: String, _ name: String) -> JSONValue {
        ["$ref": .string("#/components/\(section)/\(name)")]
    }

    private static var errorSchema: JSONValue {
        [
            "type": "object",
            "required": ["error"],
            "additionalProperties": false,
            "properties": ["error": [
                "type": "object",
                "required": ["type", "message", "request_id"],
                "properties": [
                    "type": ["type": "string", "enum": .array(errors.map { .string($0.type) })],
                    "message": ["type": "string"],
                    "details": [
                        "type": "array", "description": "Every violation of the input schema, by JSON Pointer.",
                        "items": ["type": "object", "required": ["path", "message"], "properties": ["path": ["type": "string"], "message": ["type": "string"]]],
                    ],
                    "more": [
                        "type": "integer", "minimum": 1,
                        "description": "Violations left out of details, past limits.max_error_details.",
                    ],
                    "attempts": [
                        "type": "array", "description": "Every model call the request made.",
                        "items": ["type": "object", "required": ["model", "outcome", "ms"], "properties": [
                            "model": ["type": "string"], "outcome": ["type": "string"], "ms": ["type": "integer"],
                        ]],
                    ],
                    "request_id": ["type": "string"],
                ],
            ]],
        ]
    }
}
