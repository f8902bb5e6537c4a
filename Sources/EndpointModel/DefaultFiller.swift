extension FieldSchema {
    /// `value` with every absent field that has a `default` filled in, at every depth: what
    /// templates render over. Call it on a value that passed validation.
    public func fillingDefaults(_ value: JSONValue) -> JSONValue {
        switch (type, value) {
        case (.object, .object(var members)):
            for property in properties {
                if let present = members[property.name] {
                    members[property.name] = property.schema.fillingDefaults(present)
                } else if let defaultValue = property.schema.defaultValue {
                    members[property.name] = defaultValue
                }
            }
            return .object(members)
        case (.array, .array(let items)):
            guard let itemSchema = self.items else { return value }
            return .array(items.map(itemSchema.fillingDefaults))
        default:
            return value
        }
    }
}
