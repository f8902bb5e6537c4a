import Foundation
import EndpointModel
import PromptCompiler
import SpecFrontEnd
import Testing

/// `limits:`, `upstream:`, usage URLs and reserved routes in promptc.yaml and specs
/// (gateway-contract.md, Limits, timeouts and failure accounting).
@Suite("Limits and upstream configuration")
struct LimitsConfigTests {
    @Test func limitsAndUpstreamAreRead() {
        let compilation = compile(["demo.yaml": minimalSpec], config: """
            limits:
              max_connections: 10
              client_timeout: 5s
              idle_timeout: 1m
              max_error_details: 7
            upstream:
              max_connections_per_host: 50
              connect_timeout: 500ms
            """)
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        let limits = compilation.settings.limits
        #expect(limits.maxConnections == 10 && limits.clientTimeoutMs == 5_000 && limits.idleTimeoutMs == 60_000 && limits.maxErrorDetails == 7)
        #expect(compilation.settings.upstream.maxConnectionsPerHost == 50 && compilation.settings.upstream.connectTimeoutMs == 500)
    }

    @Test func theDefaultsAreTheContracts() {
        let settings = GatewaySettings()
        #expect(settings.limits.maxConnections == 4096 && settings.limits.clientTimeoutMs == 30_000)
        #expect(settings.limits.idleTimeoutMs == 75_000 && settings.limits.maxErrorDetails == 100)
        #expect(settings.upstream.maxConnectionsPerHost == 1000 && settings.upstream.connectTimeoutMs == 2_000)
    }

    @Test(arguments: [
        ("limits:\n  »client_timout: 5s\n", DiagnosticCode.unknownConfigKey, "did you mean 'client_timeout'"),
        ("upstream:\n  »max_connection_per_host: 5\n", .unknownConfigKey, "did you mean 'max_connections_per_host'"),
        ("limits:\n  max_connections: »0\n", .invalidConfigValue, "at least 1"),
        ("upstream:\n  connect_timeout: »2\n", .invalidDuration, "has no unit"),
        ("»limit:\n  max_connections: 5\n", .unknownConfigKey, "did you mean 'limits'"),
        ("alerts:\n  webhooks:\n    - url: https://hooks.example.com/x\n      events: [»circuit_opened]\n", .invalidConfigValue, "did you mean 'circuit_open'"),
        ("alerts:\n  webhooks:\n    - url: »ftp://hooks.example.com/x\n", .invalidConfigValue, "not an http(s) URL"),
        ("alerts:\n  webhooks:\n    - url: https://hooks.example.com/x\n      secret_env: »my secret\n", .invalidConfigValue, "must name an environment variable"),
        ("alerts:\n  fallback_rate: { above: »1.5 }\n", .invalidConfigValue, "between 0 and 1"),
        ("alerts:\n  repeat_after: »10\n", .invalidDuration, "has no unit"),
        ("alerts:\n  »repeat_afer: 10m\n", .unknownConfigKey, "did you mean 'repeat_after'"),
        ("consumers:\n  - name: app\n    key_sha256: \(String(repeating: "a", count: 64))\n    budget: { usd: 5, per: »monht }\n", .invalidConsumer, "did you mean 'month'"),
        ("consumers:\n  - name: app\n    key_sha256: \(String(repeating: "a", count: 64))\n    budget: { usd: »-5, per: month }\n", .invalidConsumer, "positive amount"),
        ("consumers:\n  - name: app\n    key_sha256: \(String(repeating: "a", count: 64))\n    budget: { usd: »1e300, per: month }\n", .invalidConsumer, "at most 1000000000"),
        ("consumers:\n  - name: app\n    key_sha256: \(String(repeating: "a", count: 64))\n    budget: »{ usd: 5 }\n", .invalidConsumer, "needs 'usd:' and 'per:'"),
        ("usage:\n  journal: »\"\"\n", .invalidConfigValue, "'usage.journal' is empty"),
        ("usage:\n  journal: »[a]\n", .wrongValueKind, "'usage.journal' must be"),
        ("shared:\n  database: »promptc-shared.sqlite\n", .invalidConfigValue, "must be a postgres:// URL"),
        ("shared:\n  »databse: postgres://a@db/x\n", .unknownConfigKey, "did you mean 'database'"),
        ("shared:\n  database: »\"\"\n", .invalidConfigValue, "'shared.database' is empty"),
        ("»shard:\n  database: postgres://a@db/x\n", .unknownConfigKey, "did you mean 'shared'"),
    ])
    func mistakesAreOneDiagnosticEach(config: String, code: DiagnosticCode, says: String) {
        let marked = Marked(config)
        let compilation = compile(["demo.yaml": minimalSpec], config: marked.text)
        #expect(compilation.diagnostics.count == 1, "\(describe(compilation.diagnostics))")
        let diagnostic = compilation.diagnostics.first
        #expect(diagnostic?.code == code)
        #expect(diagnostic?.location == SourceLocation(file: "promptc.yaml", line: marked.line, column: marked.column))
        #expect(diagnostic?.message.contains(says) == true, "\(diagnostic?.message ?? "")")
    }

    @Test(arguments: [
        "postgres://app:s3cret-pw@db.example.com/usage?sslmode=prefer",
        "postgres://app:s3cret-pw@db.example.com/usage?sslmode=",
        "postgres://app:s3cr/et#pw@db.example.com:notaport/usage",
    ])
    func aBadPostgresURLIsAConfigErrorThatNeverShowsThePassword(url: String) {
        for section in ["usage", "shared"] {
            let compilation = compile(["demo.yaml": minimalSpec], config: "\(section):\n  database: \"\(url)\"\n")
            #expect(compilation.diagnostics.map(\.code) == [.invalidConfigValue])
            let text = compilation.diagnostics.map { "\($0.message) \($0.hint ?? "")" }.joined()
            #expect(!text.contains("s3cr"))
        }
    }

    @Test func theUsageJournalIsReadOrTurnedOff() {
        let path = compile(["demo.yaml": minimalSpec], config: "usage:\n  journal: /var/lib/promptc/journal\n")
        #expect(path.errorCount == 0 && path.settings.usageJournal == "/var/lib/promptc/journal" && path.settings.usageJournalEnabled)
        let off = compile(["demo.yaml": minimalSpec], config: "usage:\n  journal: false\n")
        #expect(off.errorCount == 0 && !off.settings.usageJournalEnabled)
        #expect(GatewaySettings().usageJournalEnabled && GatewaySettings().usageJournal == nil)
    }

    @Test func budgetsAreRead() {
        let compilation = compile(["demo.yaml": minimalSpec], config: """
            consumers:
              - name: app
                key_sha256: \(String(repeating: "a", count: 64))
                budget: { usd: 100, per: week }
            """)
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        #expect(compilation.settings.consumers.first?.budget == Budget(usd: 100, per: .week))
    }

    @Test func alertsAreRead() {
        let compilation = compile(["demo.yaml": minimalSpec], config: """
            alerts:
              webhooks:
                - url: https://hooks.example.com/promptc
                  secret_env: PROMPTC_ALERT_SECRET
                  events: [circuit_open, budget]
                - url: http://127.0.0.1:9000/all
              fallback_rate: { above: 0.3, over: 2m }
              repeat_after: 5m
            """)
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        let alerts = compilation.settings.alerts
        #expect(alerts.webhooks.map(\.url) == ["https://hooks.example.com/promptc", "http://127.0.0.1:9000/all"])
        #expect(alerts.webhooks[0].secretEnv == "PROMPTC_ALERT_SECRET" && alerts.webhooks[0].events == [.circuitOpen, .budget])
        #expect(alerts.webhooks[1].events == Set(AlertSettings.Event.allCases))
        #expect(alerts.fallbackRateAbove == 0.3 && alerts.fallbackRateOverMs == 120_000 && alerts.repeatAfterMs == 300_000)
    }

    @Test func theSharedDatabaseIsRead() {
        let compilation = compile(["demo.yaml": minimalSpec], config: "shared:\n  database: postgres://app@db.internal:5432/promptc\n")
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        #expect(compilation.settings.sharedDatabase == "postgres://app@db.internal:5432/promptc")
        #expect(compilation.settings.usageDatabase == nil)
    }

    @Test(arguments: ["/healthz", "/metrics", "/openapi.json", "/admin/keys", "/v1/chat/completions", "/v1/models", "/mcp", "/portal", "/docs/x"])
    func theGatewaysOwnPathsAreReserved(path: String) {
        let compilation = compile(["demo.yaml": minimalSpec + "route: POST \(path)\n"])
        #expect(compilation.diagnostics.map(\.code) == [.reservedRoute], "\(describe(compilation.diagnostics))")
    }

    @Test func otherPathsAreFree() {
        #expect(ReservedPaths.owner(of: "/v1/healthz") == nil)
        #expect(ReservedPaths.owner(of: "/administer") == nil)
    }
}

/// Passwords never appear in output, even in a URL that does not parse.
@Suite("Database URLs")
struct DatabaseURLTests {
    @Test(arguments: [
        ("postgres://app:pw@db:5432/usage", "postgres://app:***@db:5432/usage"),
        ("postgres://app:p/w#x@db/usage", "postgres://app:***@db/usage"),
        ("postgres://app:p@w@db/usage", "postgres://app:***@db/usage"),
        ("postgres://db/usage", "postgres://db/usage"),
        ("app:pw@db", "app:***@db"),
    ])
    func redacted(url: String, expected: String) {
        #expect(DatabaseURL.redacted(url) == expected)
    }

    @Test func sslModeDefaultsByHost() throws {
        #expect(try DatabaseURL.sslMode(#require(URLComponents(string: "postgres://u@127.0.0.1/db"))) == .disable)
        #expect(try DatabaseURL.sslMode(#require(URLComponents(string: "postgres://u@db.example.com/db"))) == .verifyFull)
        #expect(try DatabaseURL.sslMode(#require(URLComponents(string: "postgres://u@db.example.com/db?sslmode=require"))) == .require)
        #expect(throws: DatabaseURL.InvalidSSLMode.self) {
            try DatabaseURL.sslMode(#require(URLComponents(string: "postgres://u@db/db?sslmode=allow")))
        }
    }
}
