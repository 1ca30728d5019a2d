import Netlink

/// Rewrites a rule's arguments into the form `iptables-save` prints, so a rule as written by a
/// caller can be compared with a rule read back from the kernel.
///
/// iptables stores a parsed rule, not its text, and prints it back in a canonical order and
/// notation. This covers what the rules of this project use: the basic options (`-s`, `-d`,
/// `-i`, `-o`, `-p`) moved to the front with addresses given a prefix length, long option
/// names, `mark`/`connmark` match values, and `MARK`/`CONNMARK` target values. Anything else
/// is kept as written; the only cost of a form it does not know is that an equal rule looks
/// different and its chain is rewritten (atomically) on every apply.
enum RuleNormalizer {
    /// The basic options in the order iptables-save prints them, with their long spellings.
    private static let basicOptions: [String: (name: String, rank: Int)] = [
        "-s": ("-s", 0), "--source": ("-s", 0), "--src": ("-s", 0),
        "-d": ("-d", 1), "--destination": ("-d", 1), "--dst": ("-d", 1),
        "-i": ("-i", 2), "--in-interface": ("-i", 2),
        "-o": ("-o", 3), "--out-interface": ("-o", 3),
        "-p": ("-p", 4), "--protocol": ("-p", 4),
    ]
    private static let moduleOptions: [String: String] = [
        "-m": "-m", "--match": "-m", "-j": "-j", "--jump": "-j", "-g": "-g", "--goto": "-g",
    ]
    /// Target options that take no value.
    private static let flagOptions: Set<String> = ["--save-mark", "--restore-mark"]
    private static let fullMask: UInt32 = 0xffff_ffff

    static func normalize(_ arguments: [String]) -> [String] {
        var basics: [(rank: Int, words: [String])] = []
        var rest: [String] = []
        var module = ""
        var index = 0
        while index < arguments.count {
            let negated = arguments[index] == "!" && index + 1 < arguments.count
            let optionIndex = negated ? index + 1 : index
            let option = arguments[optionIndex]
            // An option followed by another option is a flag, not an option with a value.
            let value = optionIndex + 1 < arguments.count ? arguments[optionIndex + 1] : nil
            let optionValue = value.flatMap { basicOptions[$0] == nil && moduleOptions[$0] == nil ? $0 : nil }
            let prefix = negated ? ["!"] : []

            if let basic = basicOptions[option], let value = optionValue {
                basics.append((basic.rank, prefix + [basic.name, normalizeBasic(basic.name, value)]))
                index = optionIndex + 2
            } else if let canonical = moduleOptions[option], let value = optionValue {
                rest += prefix + [canonical, value]
                module = value
                index = optionIndex + 2
            } else if option.hasPrefix("--"), !flagOptions.contains(option), let value = optionValue {
                rest += prefix + normalizeModuleOption(module: module, option: option, value: value)
                index = optionIndex + 2
            } else {
                rest += prefix + [option]
                index = optionIndex + 1
            }
        }
        let ordered = basics.enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
        return normalizeConnmarkTarget(ordered.flatMap(\.element.words) + rest)
    }

    private static func normalizeBasic(_ option: String, _ value: String) -> String {
        switch option {
        case "-s", "-d":
            if let network = IPNetwork(value) { return network.network.description }
            if let address = IPAddress(value) { return IPNetwork(host: address).description }
            return value
        case "-p":
            return value.lowercased()
        default:
            return value
        }
    }

    private static func normalizeModuleOption(module: String, option: String, value: String) -> [String] {
        switch (module, option) {
        case ("mark", "--mark"), ("connmark", "--mark"):
            guard let (mark, mask) = markAndMask(value) else { break }
            return [option, mask == fullMask ? hex(mark) : "\(hex(mark))/\(hex(mask))"]
        case ("MARK", "--set-mark"), ("CONNMARK", "--set-mark"):
            // --set-mark value/mask clears the mask bits and sets value: stored as xmark value/(value|mask).
            guard let (mark, mask) = markAndMask(value) else { break }
            return ["--set-xmark", "\(hex(mark))/\(hex(mark | mask))"]
        case ("MARK", "--set-xmark"), ("CONNMARK", "--set-xmark"):
            guard let (mark, mask) = markAndMask(value) else { break }
            return [option, "\(hex(mark))/\(hex(mask))"]
        case ("CONNMARK", "--nfmask"), ("CONNMARK", "--ctmask"), ("CONNMARK", "--mask"):
            guard let mask = number(value) else { break }
            return [option, hex(mask)]
        default:
            break
        }
        return [option, value]
    }

    /// CONNMARK `--save-mark` / `--restore-mark` are printed with both masks, defaults included;
    /// `--mask` sets both.
    private static func normalizeConnmarkTarget(_ words: [String]) -> [String] {
        guard let jump = words.lastIndex(of: "-j"), jump + 1 < words.count, words[jump + 1] == "CONNMARK",
              let mode = words[(jump + 2)...].first(where: flagOptions.contains) else { return words }
        var nfmask = hex(fullMask), ctmask = hex(fullMask)
        var others: [String] = []
        var index = jump + 2
        while index < words.count {
            let word = words[index]
            let value = index + 1 < words.count ? words[index + 1] : word
            index += 1
            switch word {
            case "--nfmask": nfmask = value; index += 1
            case "--ctmask": ctmask = value; index += 1
            case "--mask": nfmask = value; ctmask = value; index += 1
            case mode: break
            default: others.append(word)
            }
        }
        return Array(words[...(jump + 1)]) + [mode, "--nfmask", nfmask, "--ctmask", ctmask] + others
    }

    /// `value[/mask]`, numbers as `strtoul(…, 0)` reads them; the mask defaults to all ones.
    private static func markAndMask(_ text: String) -> (UInt32, UInt32)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let mark = number(parts[0]) else { return nil }
        guard parts.count == 2 else { return (mark, fullMask) }
        guard let mask = number(parts[1]) else { return nil }
        return (mark, mask)
    }

    private static func number(_ text: some StringProtocol) -> UInt32? {
        let lower = text.lowercased()
        if lower.hasPrefix("0x") { return UInt32(lower.dropFirst(2), radix: 16) }
        if lower.count > 1, lower.hasPrefix("0") { return UInt32(lower.dropFirst(), radix: 8) }
        return UInt32(lower)
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
