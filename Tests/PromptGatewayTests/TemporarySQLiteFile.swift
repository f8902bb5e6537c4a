import Foundation

/// A fresh SQLite file's path in the temporary folder, and its removal with the `-wal` and
/// `-shm` files SQLite leaves beside it in WAL mode.
struct TemporarySQLiteFile: Sendable {
    let path: String

    init(_ prefix: String) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString).sqlite").path
    }

    func remove() {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
