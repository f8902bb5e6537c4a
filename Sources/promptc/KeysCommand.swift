import ArgumentParser
import PromptGateway

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make consumer keys.",
        subcommands: [NewKeyCommand.self])
}

struct NewKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Print a new consumer key (or the admin key) once, and the promptc.yaml lines with its hash.",
        discussion: """
            The key is printed once and never stored: give it to the consumer now. promptc.yaml keeps only its SHA-256. With --admin the key is the admin key, which opens /admin/upstreams and the portal's usage page.

              promptc keys new mobile-app
              promptc keys new ops --admin
            """)

    @Argument(help: "The consumer's name: letters, digits, '-', '_' and '.'.")
    var name: String

    @Flag(help: "Make the admin key instead: the line to add is admin_key_sha256.")
    var admin = false

    func validate() throws {
        guard !name.isEmpty, name.utf8.allSatisfy({ byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }) else {
            throw ValidationError("'\(name)' is not a consumer name: use letters, digits, '-', '_' and '.'")
        }
    }

    func run() throws {
        let (key, hash) = ConsumerKey.generate()
        if admin {
            print("""
                admin key (\(name); shown once; promptc keeps only its hash):
                  \(key)

                add to promptc.yaml:
                admin_key_sha256: \(hash)
                """)
            return
        }
        print("""
            key for \(name) (shown once; promptc keeps only its hash):
              \(key)

            add to promptc.yaml:
            consumers:
              - name: \(name)
                key_sha256: \(hash)
            """)
    }
}
