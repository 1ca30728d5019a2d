/// The word syntax shared by `iptables-save` output and `iptables-restore` input: arguments are
/// separated by blanks; an argument holding anything beyond letters, digits, `-` and `_` is
/// wrapped in double quotes, with `"`, `\` and `'` escaped by a backslash.
enum SaveSyntax {
    private static let bareCharacters = Set("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./:,+!=")
    private static let escapedCharacters: Set<Character> = ["\"", "\\", "'"]

    /// Splits a line into arguments, removing quotes and escapes. Throws a reason when a quote
    /// is left open.
    static func split(_ line: Substring) throws(SyntaxError) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false, quoted = false, escaped = false
        for character in line {
            if quoted {
                if escaped {
                    word.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    quoted = false
                } else {
                    word.append(character)
                }
            } else if character == "\"" {
                quoted = true
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        guard !quoted else { throw SyntaxError(reason: "unterminated quote") }
        if inWord { words.append(word) }
        return words
    }

    /// One argument as `iptables-restore` reads it back unchanged. Plain words stay bare so the
    /// rendered input reads like the rules an operator types.
    static func quote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy(bareCharacters.contains) { return word }
        var out = "\""
        for character in word {
            if escapedCharacters.contains(character) { out.append("\\") }
            out.append(character)
        }
        return out + "\""
    }

    /// Arguments joined into one line of restore input.
    static func render(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }

    struct SyntaxError: Error {
        let reason: String
    }
}
