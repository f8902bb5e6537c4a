import NIOCore

/// A pool's idle connections, a stack per event loop: a call takes the most recently used one
/// of its own loop in constant time, however many are idle.
struct IdleConnections {
    struct Idle {
        let connection: UpstreamConnection
        let since: NIODeadline
    }

    /// Few entries (one per event loop), so a linear search is the fastest.
    private var stacks: [(loop: ObjectIdentifier, idle: [Idle])] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func push(_ connection: UpstreamConnection) {
        let loop = ObjectIdentifier(connection.eventLoop)
        let entry = Idle(connection: connection, since: .now())
        count += 1
        if let index = stacks.firstIndex(where: { $0.loop == loop }) {
            stacks[index].idle.append(entry)
        } else {
            stacks.append((loop, [entry]))
        }
    }

    /// The most recently used open connection on `loop`. Closed ones met on the way are dropped
    /// (their close frees their slots).
    mutating func pop(on loop: any EventLoop) -> UpstreamConnection? {
        guard let index = stacks.firstIndex(where: { $0.loop == ObjectIdentifier(loop) }) else { return nil }
        return popActive(stack: index)
    }

    /// The most recently used open connection of any loop.
    mutating func popAny() -> UpstreamConnection? {
        while let index = stackWhoseEnd(isNewest: true) {
            if let connection = popActive(stack: index) { return connection }
        }
        return nil
    }

    /// The connection idle the longest, to make room.
    mutating func popOldest() -> UpstreamConnection? {
        guard let index = stackWhoseEnd(isNewest: false) else { return nil }
        count -= 1
        return stacks[index].idle.removeFirst().connection
    }

    /// The stack with the newest connection on top, or the one with the oldest at the bottom.
    private func stackWhoseEnd(isNewest: Bool) -> Int? {
        var chosen: (index: Int, since: NIODeadline)?
        for index in stacks.indices {
            guard let end = isNewest ? stacks[index].idle.last : stacks[index].idle.first else { continue }
            if let current = chosen, isNewest ? end.since <= current.since : end.since >= current.since { continue }
            chosen = (index, end.since)
        }
        return chosen?.index
    }

    mutating func remove(_ connection: UpstreamConnection) {
        for index in stacks.indices {
            if let position = stacks[index].idle.firstIndex(where: { $0.connection === connection }) {
                stacks[index].idle.remove(at: position)
                count -= 1
                return
            }
        }
    }

    /// Takes out the connections idle since before `cutoff`.
    mutating func removeIdle(since cutoff: NIODeadline) -> [UpstreamConnection] {
        var expired: [UpstreamConnection] = []
        for index in stacks.indices {
            // Each stack is oldest first.
            let old = stacks[index].idle.prefix { $0.since < cutoff }
            guard !old.isEmpty else { continue }
            expired += old.map(\.connection)
            stacks[index].idle.removeFirst(old.count)
        }
        count -= expired.count
        return expired
    }

    mutating func removeAll() -> [UpstreamConnection] {
        defer {
            stacks = []
            count = 0
        }
        return stacks.flatMap { $0.idle.map(\.connection) }
    }

    private mutating func popActive(stack index: Int) -> UpstreamConnection? {
        while let entry = stacks[index].idle.popLast() {
            count -= 1
            if entry.connection.channel.isActive { return entry.connection }
        }
        return nil
    }
}
