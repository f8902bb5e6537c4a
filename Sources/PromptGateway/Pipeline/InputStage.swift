import EndpointModel

/// The request's input checked against the endpoint's input schema, defaults filled in
/// (gateway-contract.md, Request pipeline): 400 `invalid_request` lists every violation with its
/// JSON Pointer, at most `limits.max_error_details` of them, and says how many more there were.
struct InputStage: Sendable {
    let maxErrorDetails: Int

    func validate(_ input: JSONValue, for endpoint: ServedEndpoint) throws(GatewayError) -> JSONValue {
        let (violations, more) = endpoint.inputValidator.validate(input, reportingAtMost: maxErrorDetails)
        guard violations.isEmpty else {
            let message: String
            if more > 0 {
                message = "\(violations.count + more) violations; the first \(violations.count) are listed"
            } else {
                let count = Set(violations.map(\.path)).count
                message = count == 1 ? "1 field is invalid" : "\(count) fields are invalid"
            }
            var error = GatewayError.invalidRequest(message, details: violations)
            error.moreDetails = more
            throw error
        }
        return endpoint.definition.input.fillingDefaults(input)
    }
}
