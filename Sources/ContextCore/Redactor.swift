import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Finds PII and secrets in text and replaces them by `[REDACTED:kind]`, according to a privacy level
/// (DESIGN.md §5): `public` redacts everything, `team` secrets, card numbers and national ids, `private`
/// secrets only. Reports counts by kind, never the matched text.
package struct Redactor: Sendable {
    /// What redaction did to one text.
    package struct Result: Sendable, Hashable {
        package var text: String
        /// kind → number of matches.
        package var findings: [String: Int]
    }

    package enum Category: Sendable, Hashable {
        case secret, card, nationalID, personal
    }

    package init() {}

    /// The categories redacted at a level.
    package static func categories(for level: PrivacyLevel) -> Set<Category> {
        switch level {
        case .public, .ephemeral: [.secret, .card, .nationalID, .personal]
        case .team: [.secret, .card, .nationalID]
        case .private: [.secret]
        }
    }

    /// Every detector's kind and category, for documentation and tests.
    package static var kinds: [(kind: String, category: Category)] { detectors.map { ($0.kind, $0.category) } }

    package func redact(_ text: String, level: PrivacyLevel) -> Result {
        let categories = Self.categories(for: level)
        var current = text
        var findings: [String: Int] = [:]
        for detector in Self.detectors where categories.contains(detector.category) {
            guard detector.mightMatch(current) else { continue }
            let (replaced, count) = detector.apply(to: current)
            if count > 0 {
                current = replaced
                findings[detector.kind, default: 0] += count
            }
        }
        if categories.contains(.secret) {
            let (replaced, count) = Self.redactHighEntropyTokens(in: current)
            if count > 0 {
                current = replaced
                findings["high-entropy", default: 0] += count
            }
        }
        return Result(text: current, findings: findings)
    }

    // MARK: Detectors

    private struct Detector: Sendable {
        var kind: String
        var category: Category
        /// NSRegularExpression is immutable and thread-safe once built.
        var regex: NSRegularExpression
        /// Which capture group to replace (0: the whole match).
        var group: Int = 0
        /// A cheap test that rules the regex out for most texts.
        var mightMatch: @Sendable (String) -> Bool
        /// Extra validation of a match (Luhn, inet_pton); true to redact.
        var validate: @Sendable (Substring) -> Bool = { _ in true }

        func apply(to text: String) -> (String, Int) {
            let nsText = text as NSString
            let matches = regex.matches(in: text, range: NSRange(location: 0, length: nsText.length))
            guard !matches.isEmpty else { return (text, 0) }
            var result = ""
            var cursor = 0
            var count = 0
            for match in matches {
                let range = match.range(at: group)
                guard range.location != NSNotFound, range.location >= cursor,
                    let swiftRange = Range(range, in: text), validate(text[swiftRange])
                else { continue }
                result += nsText.substring(with: NSRange(location: cursor, length: range.location - cursor))
                result += "[REDACTED:\(kind)]"
                cursor = range.location + range.length
                count += 1
            }
            guard count > 0 else { return (text, 0) }
            result += nsText.substring(from: cursor)
            return (result, count)
        }
    }

    private static func regex(_ pattern: String, caseInsensitive: Bool = false) -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            preconditionFailure("invalid detector pattern \(pattern): \(error)")
        }
    }

    private static func contains(_ needle: String) -> @Sendable (String) -> Bool {
        { $0.containsBytes(needle) }
    }

    private static func hasDigits(_ minimum: Int) -> @Sendable (String) -> Bool {
        { text in
            var count = 0
            for byte in text.utf8 where byte &- 48 < 10 {
                count += 1
                if count >= minimum { return true }
            }
            return false
        }
    }

    /// Secrets first (so a token inside a URL is one finding), then national ids and cards, then the rest.
    private static let detectors: [Detector] = [
        Detector(
            kind: "private-key",
            category: .secret,
            regex: regex(#"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"#),
            mightMatch: contains("PRIVATE KEY")
        ),
        Detector(
            kind: "jwt",
            category: .secret,
            regex: regex(#"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"#),
            mightMatch: contains("eyJ")
        ),
        Detector(
            kind: "url-password",
            category: .secret,
            regex: regex(#"\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@"#),
            group: 1,
            mightMatch: contains("://")
        ),
        Detector(
            kind: "aws-access-key",
            category: .secret,
            regex: regex(#"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"#),
            mightMatch: { text in
                ["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA"].contains { text.containsBytes($0) }
            }
        ),
        Detector(
            kind: "github-token",
            category: .secret,
            regex: regex(#"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"#),
            mightMatch: { $0.containsBytes("gh_") || $0.containsBytes("ghp_") || $0.containsBytes("gho_")
                || $0.containsBytes("ghu_") || $0.containsBytes("ghs_") || $0.containsBytes("ghr_")
                || $0.containsBytes("github_pat_") }
        ),
        Detector(
            kind: "openai-key",
            category: .secret,
            regex: regex(#"\bsk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"#),
            mightMatch: contains("sk-")
        ),
        Detector(
            kind: "slack-token",
            category: .secret,
            regex: regex(#"\b(?:xox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+)"#),
            mightMatch: { $0.containsBytes("xox") || $0.containsBytes("hooks.slack.com") }
        ),
        Detector(
            kind: "google-api-key",
            category: .secret,
            regex: regex(#"\bAIza[0-9A-Za-z_-]{35}\b"#),
            mightMatch: contains("AIza")
        ),
        Detector(
            kind: "stripe-key",
            category: .secret,
            regex: regex(#"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}\b"#),
            mightMatch: { $0.containsBytes("_live_") || $0.containsBytes("_test_") }
        ),
        Detector(
            kind: "secret-assignment",
            category: .secret,
            regex: regex(
                #"\b(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)\b["']?\s*[:=]\s*["']?([^\s"',;]{6,})"#,
                caseInsensitive: true
            ),
            group: 1,
            mightMatch: { $0.utf8.contains(UInt8(ascii: "=")) || $0.utf8.contains(UInt8(ascii: ":")) }
        ),
        Detector(
            kind: "us-ssn",
            category: .nationalID,
            regex: regex(#"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b"#),
            mightMatch: hasDigits(9)
        ),
        Detector(
            kind: "credit-card",
            category: .card,
            regex: regex(#"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])"#),
            mightMatch: hasDigits(13),
            validate: { isLuhnValidCardNumber($0) }
        ),
        Detector(
            kind: "email",
            category: .personal,
            regex: regex(#"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"#),
            mightMatch: contains("@")
        ),
        Detector(
            kind: "ipv4",
            category: .personal,
            regex: regex(#"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"#),
            mightMatch: contains(".")
        ),
        Detector(
            kind: "ipv6",
            category: .personal,
            regex: regex(#"(?<![0-9A-Za-z:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![0-9A-Za-z:])"#),
            mightMatch: { $0.containsBytes("::") || $0.utf8.lazy.filter { $0 == UInt8(ascii: ":") }.count >= 5 },
            validate: { isIPv6Address($0) }
        ),
        Detector(
            kind: "phone",
            category: .personal,
            regex: regex(#"(?<![\w+])(?<!\d[\s.-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]\d{3,4}(?![\w-])(?![\s.-]\d)"#),
            mightMatch: hasDigits(8)
        ),
    ]

    // MARK: Validators

    /// Luhn check on the digits of a candidate with 13…19 digits.
    package static func isLuhnValidCardNumber(_ candidate: Substring) -> Bool {
        let digits = candidate.compactMap { $0.wholeNumberValue }
        guard (13...19).contains(digits.count), Set(digits).count > 1 else { return false }
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            if index % 2 == 1 {
                let doubled = digit * 2
                sum += doubled > 9 ? doubled - 9 : doubled
            } else {
                sum += digit
            }
        }
        return sum % 10 == 0
    }

    package static func isIPv6Address(_ candidate: Substring) -> Bool {
        guard candidate.count >= 3 else { return false }
        var address = in6_addr()
        return String(candidate).withCString { inet_pton(AF_INET6, $0, &address) } == 1
    }

    // MARK: High-entropy tokens

    /// Tokens of at least 32 characters from the base64/URL alphabet with letters and at least two digits
    /// and a Shannon entropy above 4.2 bits per character: above what hex (git hashes, sha256 digests,
    /// UUIDs) can reach, so those are left alone.
    private static func redactHighEntropyTokens(in text: String) -> (String, Int) {
        let minimumLength = 32
        // Byte-wise first: every token below is a run of ASCII token characters, so a text without such a run
        // of 32 bytes has no candidate (most texts), and the character-wise scan is skipped.
        guard text.hasTokenRun(ofAtLeast: minimumLength) else { return (text, 0) }
        var result = ""
        var count = 0
        var token = ""
        func flush() {
            if token.count >= minimumLength, isHighEntropy(token), !token.hasPrefix("REDACTED") {
                result += "[REDACTED:high-entropy]"
                count += 1
            } else {
                result += token
            }
            token = ""
        }
        for character in text {
            if character.isASCII, character.isLetter || character.isNumber || "+/=_-".contains(character) {
                token.append(character)
            } else {
                flush()
                result.append(character)
            }
        }
        flush()
        return count > 0 ? (result, count) : (text, 0)
    }

    package static func isHighEntropy(_ token: String) -> Bool {
        var letters = 0
        var digits = 0
        var frequencies: [Character: Int] = [:]
        for character in token {
            if character.isLetter { letters += 1 } else if character.isNumber { digits += 1 }
            frequencies[character, default: 0] += 1
        }
        guard letters > 0, digits >= 2 else { return false }
        let length = Double(token.count)
        let entropy = frequencies.values.reduce(0.0) { sum, count in
            let probability = Double(count) / length
            return sum - probability * log2(probability)
        }
        return entropy > 4.2
    }
}

extension String {
    /// Whether the text holds `length` consecutive bytes that are ASCII letters, digits or one of `+/=_-`.
    fileprivate func hasTokenRun(ofAtLeast length: Int) -> Bool {
        var run = 0
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="),
                UInt8(ascii: "_"), UInt8(ascii: "-"):
                run += 1
                if run >= length { return true }
            default:
                run = 0
            }
        }
        return false
    }

    /// Byte-wise substring test (no Foundation, no locale): the detectors' cheap pre-filter.
    fileprivate func containsBytes(_ needle: String) -> Bool {
        var haystack = self
        var needle = needle
        return haystack.withUTF8 { text in
            needle.withUTF8 { pattern in
                guard let first = pattern.first, pattern.count <= text.count else { return pattern.isEmpty }
                var index = 0
                let last = text.count - pattern.count
                while index <= last {
                    if text[index] == first {
                        var offset = 1
                        while offset < pattern.count, text[index + offset] == pattern[offset] { offset += 1 }
                        if offset == pattern.count { return true }
                    }
                    index += 1
                }
                return false
            }
        }
    }
}
