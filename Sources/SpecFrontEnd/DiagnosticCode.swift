/// Every check the compiler makes has its own code. Codes starting with `E` are errors,
/// with `W` warnings. The hundreds group them: 00 files and YAML, 01 top-level keys and routes,
/// 02 field schemas, 03 templates, 04 the model chain, 05 parameters, fallback and cache,
/// 06 examples, 07 the gateway configuration (`promptc.yaml`).
///
/// Codes are part of the user-facing contract: never renumber one, only add.
public enum DiagnosticCode: String, Sendable, CaseIterable, Codable {
    // Files and YAML
    case folderUnreadable = "E0001"
    case fileUnreadable = "E0002"
    case fileTooLarge = "E0003"
    case invalidUTF8 = "E0004"
    case yamlSyntax = "E0005"
    case duplicateKey = "E0006"
    case yamlTooComplex = "E0007"
    case documentNotMapping = "E0008"
    case fileNameMismatch = "E0009"
    case noSpecs = "W0010"
    case complexKey = "E0011"

    // Top-level keys and routes
    case unknownTopLevelKey = "E0101"
    case missingKey = "E0102"
    case wrongValueKind = "E0103"
    case invalidName = "E0104"
    case duplicateName = "E0105"
    case invalidVersion = "E0106"
    case malformedRoute = "E0107"
    case unsupportedMethod = "E0108"
    case invalidPathSegment = "E0109"
    case routeConflict = "E0110"
    case emptyDescription = "E0111"
    case unknownKey = "E0112"
    case typeNameCollision = "E0113"
    case reservedRoute = "E0114"
    case invalidLifecycleDate = "E0115"
    case sunsetBeforeDeprecation = "E0116"
    case unknownSuccessor = "E0117"

    // Field schemas
    case unknownSchemaKeyword = "E0201"
    case unknownType = "E0202"
    case missingType = "E0203"
    case keywordNotApplicable = "E0204"
    case invalidEnum = "E0205"
    case invalidBound = "E0206"
    case invalidPattern = "E0207"
    case unknownFormat = "E0208"
    case invalidDefault = "E0209"
    case invalidFieldName = "E0210"
    case missingItemsOrProperties = "E0211"
    case conflictingOptional = "E0212"
    case emptySchema = "E0213"
    case duplicateField = "E0214"

    // Templates
    case unknownTemplateVariable = "E0301"
    case templateSyntax = "E0302"
    case unusedInputField = "W0303"
    case unsupportedTemplateTag = "E0304"
    case pathIntoScalar = "E0305"

    // Model chain
    case emptyModelChain = "E0401"
    case malformedModelReference = "E0402"
    case unknownProvider = "E0403"
    case unknownPool = "E0404"
    case invalidRetries = "E0405"
    case repeatedModel = "W0406"

    // Parameters, fallback and cache
    case invalidDuration = "E0501"
    case unknownParameter = "E0502"
    case invalidParameterValue = "E0503"
    case unknownFailureClass = "E0504"
    case timeoutExceedsDeadline = "W0505"

    // Examples
    case exampleInputInvalid = "E0601"
    case exampleOutputInvalid = "E0602"
    case malformedExample = "E0603"

    // Tests (spec-format.md, Tests)
    case malformedTest = "E0604"
    case testInputInvalid = "E0605"
    case testOutputInvalid = "E0606"
    case invalidAssertion = "E0607"
    case unknownAssertionField = "E0608"

    // Gateway configuration
    case unknownConfigKey = "E0701"
    case invalidProvider = "E0702"
    case invalidPool = "E0703"
    case invalidConfigValue = "E0704"
    case invalidConsumer = "E0705"
    case invalidModelGroup = "E0706"

    public var severity: Diagnostic.Severity {
        rawValue.hasPrefix("W") ? .warning : .error
    }
}
