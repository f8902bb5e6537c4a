import EndpointModel
import Foundation
import OpenAPIKit
import PromptCompiler
import PromptcEndpoints
import Testing

@Suite("Artifacts of the example specs")
struct ArtifactTests {
    /// Generated/ is the golden output: compiling Prompts/ must give it byte for byte.
    /// After an intended change, run `promptc compile` and review the diff.
    @Test(arguments: ArtifactRenderer.fileNames)
    func matchesGolden(_ fileName: String) throws {
        let compilation = try compileExampleSpecs()
        #expect(compilation.diagnostics.isEmpty, "\(describe(compilation.diagnostics))")
        let table = try #require(compilation.routeTable)
        let artifact = try #require(ArtifactRenderer.render(table).first { $0.fileName == fileName })
        let golden = try String(contentsOf: repositoryRoot.appendingPathComponent("Generated/\(fileName)"), encoding: .utf8)
        #expect(artifact.contents == golden, "Generated/\(fileName) is stale: run promptc compile")
    }

    @Test func exampleSpecsAreTheOnesTheIssueAsksFor() throws {
        let names = try #require(try compileExampleSpecs().routeTable).endpoints.map(\.name)
        #expect(Set(names).isSuperset(of: ["sentiment", "translate", "summarize", "extract_entities"]))
    }

    @Test func outputIsDeterministic() throws {
        let first = ArtifactRenderer.render(try #require(try compileExampleSpecs().routeTable))
        let second = ArtifactRenderer.render(try #require(try compileExampleSpecs().routeTable))
        #expect(first == second)
    }

    @Test func openAPIDocumentIsValidOpenAPI31() throws {
        let table = try #require(try compileExampleSpecs().routeTable)
        let json = try #require(ArtifactRenderer.render(table).first { $0.fileName == "openapi.json" }).contents
        let document = try JSONDecoder().decode(OpenAPI.Document.self, from: Data(json.utf8))
        try document.validate()
        #expect(document.openAPIVersion == .v3_1_0)
        let operation = try #require(document.paths["/v1/sentiment"]?.pathItemValue?.post)
        let statuses = Set(operation.responses.keys.map(\.rawValue))
        #expect(statuses == ["200", "400", "401", "403", "404", "405", "408", "413", "415", "429", "502", "503", "504"])
        let body = try #require(operation.requestBody?.b)
        #expect(body.content[.json]?.b?.examples?.count == 2)
        let input = try #require(document.components.schemas["SentimentInput"])
        #expect(input.objectContext?.requiredProperties == ["text"])
    }

    /// `serve` reads routes.json with JSONValueDecoder: the same table as JSONDecoder reads.
    @Test func gatewaysDecoderReadsWhatJSONDecoderReads() throws {
        let table = try #require(try compileExampleSpecs().routeTable)
        let json = try #require(ArtifactRenderer.render(table).first { $0.fileName == "routes.json" }).contents
        let fast = try JSONValueDecoder().decode(RouteTable.self, from: Array(json.utf8))
        let reference = try JSONDecoder().decode(RouteTable.self, from: Data(json.utf8))
        #expect(fast == reference)
        #expect(fast.endpoints.count == 4)
        // serve's reader decodes the endpoints side by side and keeps their order.
        #expect(try RouteTable.read(from: Array(json.utf8)) == reference)
    }

    @Test func gatewaysDecoderSaysWhatAndWhere() throws {
        let text = #"{"format": "promptc-routes/1", "endpoints": [{"name": 7}]}"#
        #expect {
            try JSONValueDecoder().decode(RouteTable.self, from: Array(text.utf8))
        } throws: { error in
            guard case DecodingError.typeMismatch(_, let context) = error else { return false }
            return context.codingPath.map(\.stringValue) == ["endpoints", "Index 0", "name"]
        }
        let broken = #"{"format": "promptc-routes/1", "endpoints": [{"name": tru}, {}]}"#
        #expect(throws: JSONParser.Error(message: "invalid literal, expected 'true'", offset: 54)) {
            try RouteTable.read(from: Array(broken.utf8))
        }
        let second = #"{"format": "promptc-routes/1", "endpoints": [{}, {"name": 7}]}"#
        #expect {
            try RouteTable.read(from: Array(second.utf8))
        } throws: { error in
            guard case DecodingError.keyNotFound(_, let context) = error else { return false }
            return context.codingPath.map(\.stringValue) == ["endpoints", "Index 0"]
        }
        #expect(throws: JSONParser.Error.self) { try JSONValueDecoder().decode(RouteTable.self, from: Array("{".utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder().decode(RouteTable.self, from: Array(#"{"format": "x"}"#.utf8)) }
    }

    @Test func routeTableRoundTripsThroughTheGatewaysDecoder() throws {
        let table = try #require(try compileExampleSpecs().routeTable)
        let json = try #require(ArtifactRenderer.render(table).first { $0.fileName == "routes.json" }).contents
        let decoded = try JSONValueDecoder().decode(RouteTable.self, from: Array(json.utf8))
        #expect(decoded.endpoints.map(\.name) == table.endpoints.map(\.name))
        let sentiment = try #require(decoded.endpoints.first { $0.name == "sentiment" })
        #expect(sentiment.fallback == FallbackPolicy(on: [.connection, .timeout, .rateLimit, .serverError, .auth, .invalidOutput], retries: 1, timeoutMs: 10_000, deadlineMs: 30_000))
        #expect(sentiment.models.map(\.model) == ["openai/gpt-4o-mini", "anthropic/claude-3-5-haiku-latest", "ollama/llama3.2"])
        #expect(sentiment.models[1].timeoutMs == 8_000)
        #expect(sentiment.models[1].parameters.maxTokens == 150)
        #expect(sentiment.specSHA256.count == 64)
        // Schemas read back from JSON Schema validate as the originals do.
        let original = try #require(table.endpoints.first { $0.name == "sentiment" })
        for example in original.examples {
            #expect(SchemaValidator(sentiment.input).validate(example.input).isEmpty)
            #expect(SchemaValidator(sentiment.output).validate(example.output).isEmpty)
        }
        #expect(!SchemaValidator(sentiment.input).validate(["text": "", "language": "xx"]).isEmpty)
    }

    /// The generated Swift types decode the examples' JSON, so the wire names and enums match.
    @Test func generatedTypesDecodeTheExamples() throws {
        let table = try #require(try compileExampleSpecs().routeTable)
        func data(_ endpoint: String, _ keyPath: KeyPath<EndpointDefinition.Example, JSONValue>) throws -> [Data] {
            let definition = try #require(table.endpoints.first { $0.name == endpoint })
            return definition.examples.map { Data(CanonicalJSON.render($0[keyPath: keyPath]).utf8) }
        }
        let decoder = JSONDecoder()
        let sentiment = try data("sentiment", \.output).map { try decoder.decode(Sentiment.Output.self, from: $0) }
        #expect(sentiment.map(\.label) == [.positive, .negative])
        let german = try decoder.decode(Sentiment.Input.self, from: try data("sentiment", \.input)[1])
        #expect(german.language == .de)
        let entities = try decoder.decode(ExtractEntities.Output.self, from: try data("extract_entities", \.output)[0])
        #expect(entities.entities.first?.type == .person)
        #expect(entities.entities.last?.normalized == "1833-06-05")
        let translation = try decoder.decode(Translate.Input.self, from: try data("translate", \.input)[1])
        #expect(translation.glossary?.first?.term == "déploiement")
        _ = try data("summarize", \.output).map { try decoder.decode(Summarize.Output.self, from: $0) }
        #expect(Sentiment.path == "/v1/sentiment")
        #expect(PromptcRoutes.all.count == table.endpoints.count)
        // And they encode to what the input schema accepts.
        let request = Sentiment.Input(text: "great", language: .en)
        let encoded = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(request))
        #expect(SchemaValidator(try #require(table.endpoints.first { $0.name == "sentiment" }).input).validate(encoded).isEmpty)
    }
}
