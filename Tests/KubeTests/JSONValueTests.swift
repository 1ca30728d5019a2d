import Foundation
import Kube
import Testing

@Suite struct JSONValueTests {
    @Test func keepsIntegersApartFromFloatingPoint() throws {
        let value = try json(#"{"port": 6000, "ratio": 0.5, "big": 9007199254740993, "flag": true, "none": null, "one": 1, "zero": 0, "negative": -7}"#)
        #expect(value["one"] == .integer(1) && value["zero"] == .integer(0) && value["negative"] == .integer(-7))
        #expect(value["port"] == .integer(6000))
        #expect(value["ratio"] == .double(0.5))
        #expect(value["big"] == .integer(9_007_199_254_740_993))
        #expect(value["flag"] == .bool(true))
        #expect(value["none"] == .null)
        let text = String(decoding: try value.jsonData(), as: UTF8.self)
        #expect(text == #"{"big":9007199254740993,"flag":true,"negative":-7,"none":null,"one":1,"port":6000,"ratio":0.5,"zero":0}"#)
    }

    @Test func literalsBuildNestedValues() {
        let value: JSONValue = ["a": [1, "two", nil, false], "b": ["c": 1.5]]
        #expect(value["a"]?.arrayValue?.count == 4)
        #expect(value["b"]?["c"] == .double(1.5))
        #expect(value["missing"] == nil)
        #expect(JSONValue.string("x")["key"] == nil)
    }

    @Test func decodesIntoModels() throws {
        let value: JSONValue = ["name": "web", "namespace": "default"]
        let meta = try value.decode(as: ObjectMeta.self)
        #expect(meta.name == "web" && meta.namespace == "default")
    }
}
