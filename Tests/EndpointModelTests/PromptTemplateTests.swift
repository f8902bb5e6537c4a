import EndpointModel
import Testing

@Suite("Prompt templates")
struct PromptTemplateTests {
    @Test func insertsValuesAsTheyAre() throws {
        let template = try PromptTemplate("Text: {{text}} / {{{text}}} / {{& text}}")
        #expect(template.render(["text": "<b>{{secret}}</b> & \"x\""]) == "Text: <b>{{secret}}</b> & \"x\" / <b>{{secret}}</b> & \"x\" / <b>{{secret}}</b> & \"x\"")
    }

    @Test func sectionsListsAndInvertedSections() throws {
        let template = try PromptTemplate("""
            {{#items}}
            - {{name}} ({{count}})
            {{/items}}
            {{^missing}}none{{/missing}} {{#flag}}yes{{/flag}}{{! a comment }}
            """)
        let rendered = template.render(["items": [["name": "a", "count": 1], ["name": "b", "count": 2.5]], "flag": true])
        #expect(rendered == "- a (1)\n- b (2.5)\nnone yes")
    }

    @Test func dottedNamesAndOuterScopes() throws {
        let template = try PromptTemplate("{{user.name}}: {{#tags}}{{.}}@{{user.name}} {{/tags}}")
        #expect(template.render(["user": ["name": "Zoë"], "tags": ["x", "y"]]) == "Zoë: x@Zoë y@Zoë ")
    }

    @Test func listsTagsWithOffsets() throws {
        let template = try PromptTemplate("é {{a}} {{#b}}{{c.d}}{{/b}}")
        #expect(template.tags.map(\.name) == ["a", "b", "c.d"])
        #expect(template.tags.map(\.offset) == [2, 8, 14])
        #expect(template.tags[2].path == ["c", "d"])
    }

    @Test func syntaxErrors() {
        #expect(throws: PromptTemplate.SyntaxError.self) { try PromptTemplate("{{#a}}never closed") }
        #expect(throws: PromptTemplate.SyntaxError.self) { try PromptTemplate("{{#a}}{{/b}}") }
        #expect(throws: PromptTemplate.SyntaxError.self) { try PromptTemplate("{{/a}}") }
        #expect(throws: PromptTemplate.SyntaxError.self) { try PromptTemplate("{{a") }
        #expect(throws: PromptTemplate.SyntaxError.self) { try PromptTemplate("{{}}") }
        do {
            _ = try PromptTemplate("x {{> partial}}")
            Issue.record("partials must be rejected")
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.offset == 2)
        }
    }
}

@Suite("Durations and canonical JSON")
struct PolicyTests {
    @Test func durations() {
        #expect(DurationText.milliseconds("250ms") == 250)
        #expect(DurationText.milliseconds("10s") == 10_000)
        #expect(DurationText.milliseconds("2m") == 120_000)
        #expect(DurationText.milliseconds("24h") == 86_400_000)
        for bad in ["10", "s", "1.5s", "-1s", "10 s", "10sec", ""] { #expect(DurationText.milliseconds(bad) == nil, "\(bad)") }
    }

    @Test func canonicalJSONSortsAndKeepsNumbersStable() {
        let value: JSONValue = ["b": [1, 2.5, 3.0], "a": "x/y\n\u{01}", "é": .null, "c": true]
        #expect(CanonicalJSON.render(value, pretty: false) == #"{"a":"x/y\n\u0001","b":[1,2.5,3],"c":true,"é":null}"#)
    }
}
