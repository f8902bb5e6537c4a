import Foundation

/// An endpoint's `lifecycle` (spec-format.md; gateway-contract.md, Deprecation, sunset,
/// retirement). Dates are days (`YYYY-MM-DD`) that begin at midnight UTC.
public struct Lifecycle: Sendable, Hashable, Codable {
    /// From this day on, answers carry `Deprecation` (and `Link` to the successor).
    public var deprecated: String?
    /// From this day on, the endpoint answers 410 `gone`; before it, answers carry `Sunset`.
    public var sunset: String?
    /// The endpoint's name that callers should move to.
    public var successor: String?
    /// Gone now, whatever the dates say.
    public var retired: Bool

    public init(deprecated: String? = nil, sunset: String? = nil, successor: String? = nil, retired: Bool = false) {
        self.deprecated = deprecated
        self.sunset = sunset
        self.successor = successor
        self.retired = retired
    }

    enum CodingKeys: String, CodingKey {
        case deprecated, sunset, successor, retired
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        deprecated = try container.decodeIfPresent(String.self, forKey: .deprecated)
        sunset = try container.decodeIfPresent(String.self, forKey: .sunset)
        successor = try container.decodeIfPresent(String.self, forKey: .successor)
        retired = try container.decodeIfPresent(Bool.self, forKey: .retired) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(deprecated, forKey: .deprecated)
        try container.encodeIfPresent(sunset, forKey: .sunset)
        try container.encodeIfPresent(successor, forKey: .successor)
        if retired { try container.encode(true, forKey: .retired) }
    }

    /// Midnight UTC at the start of `day` (`YYYY-MM-DD`, a real date), in seconds since 1970;
    /// nil for anything else.
    public static func startOfDay(_ day: String) -> Int64? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard day.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              day.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let dayOfMonth = Int(parts[2]),
              (1...12).contains(month), dayOfMonth >= 1, dayOfMonth <= daysIn(month: month, year: year)
        else { return nil }
        return Int64(daysFromCivil(year: year, month: month, day: dayOfMonth)) * 86_400
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
