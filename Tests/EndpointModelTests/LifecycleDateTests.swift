import EndpointModel
import Foundation
import Testing

@Suite("Lifecycle dates")
struct LifecycleDateTests {
    /// Days begin at midnight UTC; the result agrees with Foundation's calendar.
    @Test(arguments: ["1970-01-01", "2000-02-29", "2024-12-31", "2026-11-23", "2100-03-01", "9999-12-31"])
    func realDaysAreTheirMidnightUTC(day: String) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let parts = day.split(separator: "-").compactMap { Int($0) }
        let expected = try #require(calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])))
        #expect(Lifecycle.startOfDay(day) == Int64(expected.timeIntervalSince1970))
    }

    @Test(arguments: ["2023-02-29", "1900-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-1-01", "26-01-01", "2026/01/01", "2026-01-01T00:00", "", "２０２６-01-01"])
    func anythingElseIsNotADay(text: String) {
        #expect(Lifecycle.startOfDay(text) == nil)
    }
}
