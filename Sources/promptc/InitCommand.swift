import ArgumentParser
import Foundation

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a project: an example spec, a commented promptc.yaml and .gitignore lines.",
        discussion: """
            Writes Prompts/sentiment.yaml, promptc.yaml and .gitignore into DIR (default: the current folder), then says what to run next. A file that is already there is left as it is; .gitignore only gains the lines it lacks.

              promptc init my-prompts
              cd my-prompts && promptc compile && promptc serve --mock
            """)

    @Argument(help: "The folder to start the project in; made when it does not exist.")
    var directory: String = "."

    func run() throws {
        let folder = URL(fileURLWithPath: directory)
        do {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("Prompts"), withIntermediateDirectories: true)
            for (path, text) in [("Prompts/sentiment.yaml", Self.spec), ("promptc.yaml", Self.config)] {
                let url = folder.appendingPathComponent(path)
                if FileManager.default.fileExists(atPath: url.path) {
                    print("kept    \(path) (already there)")
                } else {
                    try Data(text.utf8).write(to: url)
                    print("wrote   \(path)")
                }
            }
            let ignore = folder.appendingPathComponent(".gitignore")
            let existing = (try? String(contentsOf: ignore, encoding: .utf8)) ?? ""
            let lines = Set(existing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
            let missing = Self.ignored.filter { !lines.contains($0) }
            if !missing.isEmpty {
                let text = (existing.isEmpty || existing.hasSuffix("\n") ? existing : existing + "\n") + missing.joined(separator: "\n") + "\n"
                try Data(text.utf8).write(to: ignore)
                print("\(existing.isEmpty ? "wrote  " : "added to") .gitignore: \(missing.joined(separator: ", "))")
            }
        } catch {
            FileHandle.standardError.write(Data("error: cannot write into \(directory): \(error.localizedDescription)\n".utf8))
            throw PromptcExit.runtimeFailure
        }
        let into = directory == "." ? "" : "cd \(directory)\n  "
        print("""

            next:
              \(into)promptc check                 # diagnostics for Prompts/
              promptc compile               # writes Generated/: routes.json, openapi.json, Endpoints.swift
              promptc test --mock           # the examples and tests, without a provider
              promptc serve --mock          # answers each spec's example; open http://127.0.0.1:8080/portal
            """)
    }

    /// The usage records are local data, not source.
    static let ignored = ["promptc-usage.sqlite*", ".build/"]

    static let spec = """
        # One endpoint: what it takes, what it returns, how to ask the model, and which models
        # to try in order. promptc check tells what is wrong, at file:line:column.
        name: sentiment
        description: Classify the sentiment of a text as positive, negative or neutral, with a score from -1 to 1.
        route: POST /v1/sentiment

        input:
          text:
            type: string
            minLength: 1
            maxLength: 8000
            description: The text to classify.
          language:
            type: string
            enum: [en, de, fr, es]
            default: en
            description: The language of the text (ISO 639-1).

        output:
          label:
            type: string
            enum: [positive, negative, neutral]
            description: The overall sentiment.
          score:
            type: number
            minimum: -1
            maximum: 1
            description: From -1 (very negative) to 1 (very positive).

        # Tried in order: when one fails (timeout, 5xx, 429, an answer that breaks the output
        # schema, ...), the next one answers. Keys come from OPENAI_API_KEY and ANTHROPIC_API_KEY.
        models:
          - openai/gpt-4o-mini
          - anthropic/claude-3-5-haiku-latest

        fallback:
          timeout: 10s
          deadline: 30s

        prompt:
          system: You classify the sentiment of texts. Answer with JSON only.
          user: |
            Language: {{language}}
            Text: {{text}}

        # Checked against the schemas when you compile; serve --mock answers with the first one.
        examples:
          - input: { text: "I loved every minute of it." }
            output: { label: positive, score: 0.9 }

        # Cases for promptc test (with the examples): run them on every model of the chain with
        # promptc test --each-model before a failover puts a model in front of users.
        tests:
          - name: sarcasm is not positive
            input: { text: "Oh great, another Monday." }
            assert: ["label in [negative, neutral]", "score <= 0"]

        """

    static let config = """
        # promptc.yaml: the gateway's settings. Every key is optional; promptc check reads this
        # file too. Provider keys never go here: they come from environment variables.

        # host: 127.0.0.1
        # port: 8080

        # Providers beyond the built-in openai, anthropic, gemini and ollama, or other URLs:
        # providers:
        #   local:
        #     api: openai                         # openai | anthropic | gemini
        #     base_url: http://127.0.0.1:11434/v1
        #     api_key_env: LOCAL_API_KEY

        # Who may call the endpoints (promptc keys new NAME prints these lines); without
        # consumers every endpoint is open.
        # consumers:
        #   - name: mobile-app
        #     key_sha256: ...
        #     rate_limit: 60/min

        # The admin key opens /admin/upstreams and the portal's usage page
        # (promptc keys new ops --admin prints this line).
        # admin_key_sha256: ...

        # Usage and cost records; a relative path is relative to this file.
        # usage:
        #   database: promptc-usage.sqlite
        # pricing:                                # USD per million tokens
        #   openai/gpt-4o-mini: { input: 0.15, output: 0.60 }

        # The developer portal at /portal is on unless this says false.
        # portal: true

        """
}
