/// The rules `promptc diff` judges changes by (gateway-contract.md, promptc diff). Each is
/// decided in one place, `ContractRules`, and named in the JSON output by its raw value.
public enum ContractRule: String, Sendable, CaseIterable {
    // endpoints
    case endpointAdded = "endpoint-added"
    case endpointRemoved = "endpoint-removed"
    case routeChanged = "route-changed"
    case versionChanged = "version-changed"
    // fields
    case fieldAdded = "field-added"
    case fieldRemoved = "field-removed"
    case requiredChanged = "required-changed"
    case typeChanged = "type-changed"
    // constraints
    case enumChanged = "enum-changed"
    case boundChanged = "bound-changed"
    case patternChanged = "pattern-changed"
    case formatChanged = "format-changed"
    case defaultChanged = "default-changed"
    // everything a client does not see
    case descriptionChanged = "description-changed"
    case promptChanged = "prompt-changed"
    case modelsChanged = "models-changed"
    case policyChanged = "policy-changed"
    case lifecycleChanged = "lifecycle-changed"
}
