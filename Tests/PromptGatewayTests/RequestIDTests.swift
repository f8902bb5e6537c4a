import Foundation
import Testing
@testable import PromptGateway

/// Request ids: random version-4 UUIDs in lowercase, made without a system call.
@Suite("Request ids")
struct RequestIDTests {
    @Test func theGeneratorFollowsTheReferenceSequence() {
        // The first outputs of xoshiro256** from the state (1, 2, 3, 4), as the reference C code gives them.
        var generator = Xoshiro256StarStar(state: (1, 2, 3, 4))
        #expect((0..<4).map { _ in generator.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
    }

    @Test func bitsAreWrittenAsAVersion4UUID() {
        #expect(RequestID.format(high: 0, low: 0) == "00000000-0000-4000-8000-000000000000")
        #expect(RequestID.format(high: .max, low: .max) == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        #expect(RequestID.format(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210) == "01234567-89ab-4def-bedc-ba9876543210")
    }

    @Test func idsAreUUIDsAndDistinct() {
        let ids = (0..<10_000).map { _ in RequestID.make() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id == id.lowercased())
            let uuid = UUID(uuidString: id)
            #expect(uuid != nil)
            #expect(uuid.map { $0.uuid.6 >> 4 } == 4)
            #expect(uuid.map { $0.uuid.8 >> 6 } == 0b10)
        }
    }
}
