/// The `format` checks. Hand-written: each is a few lines, and Foundation's parsers accept
/// far more than the formats allow (DateFormatter takes `2024-2-30`).
enum FormatChecker {
    static func describe(_ format: StringFormat) -> String {
        switch format {
        case .email: return "an email address"
        case .uri: return "an absolute URI"
        case .date: return "a date (YYYY-MM-DD)"
        case .dateTime: return "a date-time (RFC 3339, e.g. 2024-05-01T12:00:00Z)"
        case .uuid: return "a UUID"
        }
    }

    static func matches(_ string: String, format: StringFormat) -> Bool {
        let bytes = Array(string.utf8)
        switch format {
        case .email: return isEmail(string)
        case .uri: return isURI(bytes)
        case .date: return bytes.count == 10 && isDate(bytes[...])
        case .dateTime: return isDateTime(bytes)
        case .uuid: return isUUID(bytes)
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private static func number(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.allSatisfy(isDigit) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    private static func isEmail(_ string: String) -> Bool {
        guard let at = string.lastIndex(of: "@") else { return false }
        let local = string[..<at], domain = string[string.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !local.contains(where: \.isWhitespace),
              !local.contains("@"), !domain.isEmpty else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
        }
    }

    private static func isURI(_ bytes: [UInt8]) -> Bool {
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return false }
        let scheme = bytes[..<colon]
        guard let first = scheme.first, (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A else { return false }
        let schemeOK = scheme.allSatisfy {
            (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A) || isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E
        }
        let rest = bytes[(colon + 1)...]
        return schemeOK && !rest.isEmpty && !rest.contains { $0 <= 0x20 || $0 == 0x7F || $0 == 0x22 || $0 == 0x3C || $0 == 0x3E }
    }

    private static func isDate(_ bytes: ArraySlice<UInt8>) -> Bool {
        let start = bytes.startIndex
        guard bytes.count == 10, bytes[start + 4] == 0x2D, bytes[start + 7] == 0x2D,
              let year = number(bytes[start..<start + 4]), let month = number(bytes[start + 5..<start + 7]),
              let day = number(bytes[start + 8..<start + 10]), (1...12).contains(month) else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    private static func isDateTime(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 20, isDate(bytes[0..<10]), bytes[10] | 0x20 == 0x74 else { return false }
        let time = bytes[11...]
        let t = time.startIndex
        guard time.count >= 9, time[t + 2] == 0x3A, time[t + 5] == 0x3A,
              let hour = number(time[t..<t + 2]), let minute = number(time[t + 3..<t + 5]),
              let second = number(time[t + 6..<t + 8]), hour < 24, minute < 60, second <= 60 else { return false }
        var rest = time[(t + 8)...]
        if rest.first == 0x2E {
            rest = rest.dropFirst()
            let digits = rest.prefix(while: isDigit).count
            guard digits > 0 else { return false }
            rest = rest.dropFirst(digits)
        }
        if rest.count == 1, rest.first.map({ $0 | 0x20 }) == 0x7A { return true }
        let o = rest.startIndex
        guard rest.count == 6, rest[o] == 0x2B || rest[o] == 0x2D, rest[o + 3] == 0x3A,
              let offsetHour = number(rest[o + 1..<o + 3]), let offsetMinute = number(rest[o + 4..<o + 6])
        else { return false }
        return offsetHour < 24 && offsetMinute < 60
    }

    private static func isUUID(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == 0x2D else { return false }
            } else {
                let lower = byte | 0x20
                guard isDigit(byte) || (lower >= 0x61 && lower <= 0x66) else { return false }
            }
        }
        return true
    }
}
