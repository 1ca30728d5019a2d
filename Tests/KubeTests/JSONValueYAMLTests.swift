import Kube
import Testing
import Yams

@Suite struct JSONValueYAMLTests {
    /// kubectl reads a quoted scalar as a string whatever it looks like; only plain scalars are resolved.
    @Test func onlyPlainScalarsAreResolved() throws {
        let yaml = """
            plain: {flag: true, count: 6000, ratio: 0.5, none: ~, empty: , word: gateway}
            quoted: {flag: "true", count: '6000', none: "null", empty: ""}
            list: [1, "1", [a]]
            """
        let value = JSONValue(yaml: try #require(try Yams.compose(yaml: yaml)))
        #expect(value["plain"] == ["flag": true, "count": 6000, "ratio": 0.5, "none": nil, "empty": nil, "word": "gateway"])
        #expect(value["quoted"] == ["flag": "true", "count": "6000", "none": "null", "empty": ""])
        #expect(value["list"] == [1, "1", ["a"]])
    }
}
