import EndpointModel
import Testing

/// The partial snapshots of streaming (gateway-contract.md, Streaming: `partial`).
@Suite("Partial JSON snapshots")
struct PartialJSONTests {
    static let answers = [
        #"{"label": "positive", "score": 0.93}"#,
        #"{"entities": [{"name": "Ada Lovelace", "type": "person"}, {"name": "London", "type": "place"}], "count": 2}"#,
        #"{"text": "line one\nline \"two\" \u00e9 \ud83d\ude00 end", "ok": true, "none": null, "n": -12.5e3}"#,
        #"{"nested": {"deeper": {"list": [1, 2, [3, 4], {"x": "y"}]}}, "empty": {}, "blank": []}"#,
        "```json\n{\"summary\": \"Short.\", \"words\": 1}\n```",
        #"  {"emoji": "🎉 done", "unicode": "naïve café"}  "#,
    ]

    /// Every prefix gives a valid snapshot (or none before the object opens), and the whole
    /// answer gives the answer itself.
    @Test(arguments: answers)
    func everyPrefixIsASnapshotAndTheLastIsTheAnswer(answer: String) throws {
        let characters = Array(answer)
        var previousKeys = 0
        for end in 0...characters.count {
            let prefix = String(characters[..<end])
            let snapshot = PartialJSON.snapshot(prefix)
            if prefix.contains("{") {
                let object = try #require(snapshot?.objectValue, "no snapshot for prefix \(prefix.debugDescription)")
                // Members never disappear as the text grows.
                #expect(object.count >= previousKeys, "members vanished at \(prefix.debugDescription)")
                previousKeys = object.count
            } else {
                #expect(snapshot == nil)
            }
        }
        let json = answer.hasPrefix("```") ? String(answer.dropFirst(8).dropLast(4)) : answer
        #expect(PartialJSON.snapshot(answer) == (try JSONParser.parse(json)))
    }

    @Test func stringsAreCutWhereTheyStandAndUnbegunMembersAreAbsent() {
        #expect(PartialJSON.snapshot(#"{"label": "posi"#) == ["label": "posi"])
        #expect(PartialJSON.snapshot(#"{"label": "positive", "sco"#) == ["label": "positive"])
        #expect(PartialJSON.snapshot(#"{"label": "positive", "score":"#) == ["label": "positive"])
        // A number still being written could yet change: absent until something follows it.
        #expect(PartialJSON.snapshot(#"{"label": "positive", "score": 0.9"#) == ["label": "positive"])
        #expect(PartialJSON.snapshot(#"{"label": "positive", "score": 0.9,"#) == ["label": "positive", "score": 0.9])
        // An escape that is not complete is left out, not mangled.
        #expect(PartialJSON.snapshot(#"{"t": "a\"#) == ["t": "a"])
        #expect(PartialJSON.snapshot(#"{"t": "a\u00"#) == ["t": "a"])
        #expect(PartialJSON.snapshot(#"{"t": "a\ud83d\ude0"#) == ["t": "a"])
        #expect(PartialJSON.snapshot(#"{"list": ["a", "b"#) == ["list": ["a", "b"]])
        #expect(PartialJSON.snapshot(#"{"list": [{"k": 1}, {"k""#) == ["list": [["k": 1], [:]]])
        #expect(PartialJSON.snapshot("Sure! ") == nil)
    }

    @Test func brokenTextGivesNoSnapshot() {
        #expect(PartialJSON.snapshot(#"{"a": 1}}"#) == ["a": 1])
        #expect(PartialJSON.snapshot(#"{"a" 1, "#) == nil)
        #expect(PartialJSON.snapshot(String(repeating: "[", count: 10_000)) == nil)
    }
}
