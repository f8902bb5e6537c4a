import PostgresNIO

/// What went wrong with a database, in words an operator can act on. PostgresNIO describes
/// every `PSQLError` with the same generic sentence, so that its errors can be shown to end
/// users without leaking anything; these words go only to the gateway's log and alerts, so they
/// say the error's code, the server's message (`database "x" does not exist`, never its detail,
/// which can quote values) and the network error beneath it.
enum StoreProblem {
    static let maximumLength = 300

    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(String(describing: error).prefix(maximumLength)) }
        var text = "\(error.code)"
        if let message = error.serverInfo?[.message] {
            text += ": " + message
            if let state = error.serverInfo?[.sqlState] { text += " (SQLSTATE \(state))" }
        }
        if let underlying = error.underlying { text += ": \(underlying)" }
        return String(text.prefix(maximumLength))
    }
}
