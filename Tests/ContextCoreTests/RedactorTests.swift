import ContextCore
import Testing

@Suite("Redactor")
struct RedactorTests {
    private let redactor = Redactor()

    @Test(
        "each detector finds its kind",
        arguments: [
            ("mail bob.smith+x@example.co.uk now", "email"),
            ("call +1 415-555-0132 today", "phone"),
            ("call (415) 555-0132", "phone"),
            ("server at 192.168.10.42 answers", "ipv4"),
            ("bind to 2001:db8:85a3::8a2e:370:7334 please", "ipv6"),
            ("card 4111 1111 1111 1111 expires", "credit-card"),
            ("card 5500-0000-0000-0004", "credit-card"),
            ("ssn 123-45-6789 on file", "us-ssn"),
            ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private-key"),
            ("db postgres://admin:s3cr3tPass@db.internal:5432/app", "url-password"),
            ("AKIAIOSFODNN7EXAMPLE is the key", "aws-access-key"),
            ("ghp_0123456789abcdefghijABCDEFGHIJ012345 pushed", "github-token"),
            ("OPENAI sk-proj-abcdefghijklmnopqrstuvwxyz123456", "openai-key"),
            ("slack xoxb-123456789012-abcdefghijkl", "slack-token"),
            ("maps AIzaSyA1234567890abcdefghijklmnopqrstuv", "google-api-key"),
            ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe-key"),
            ("password = hunter2hunter2", "secret-assignment"),
            ("blob Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A5OA", "high-entropy"),
        ]
    )
    func detectorFinds(text: String, kind: String) {
        let result = redactor.redact(text, level: .public)
        #expect(result.findings[kind] != nil, "\(kind) not found in \(result.text), found \(result.findings)")
        #expect(result.text.contains("[REDACTED:"))
    }

    @Test(
        "ordinary technical text is left alone",
        arguments: [
            "commit 3f2a9c1d4e5b6a7f8091a2b3c4d5e6f708192a3b fixed it",
            "id 0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00 saved",
            "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "version 1.2.3 released on 2026-11-25 at 12:30:45",
            "use std::string and a::b::c here",
            "order 1234 5678 shipped",
            "call function retry(times: 3)",
            "card 4111 1111 1111 1112 is not Luhn-valid",
            "getUserAccountSettingsForTheCurrentlyLoggedInUser",
        ]
    )
    func noFalsePositives(text: String) {
        let result = redactor.redact(text, level: .public)
        #expect(result.findings.isEmpty, "found \(result.findings) in \(text)")
        #expect(result.text == text)
    }

    @Test func levelsDecideWhatIsRedacted() {
        let text = "mail bob@example.com, ssn 123-45-6789, key AKIAIOSFODNN7EXAMPLE"
        let publicResult = redactor.redact(text, level: .public)
        #expect(Set(publicResult.findings.keys) == ["email", "us-ssn", "aws-access-key"])
        let team = redactor.redact(text, level: .team)
        #expect(Set(team.findings.keys) == ["us-ssn", "aws-access-key"])
        #expect(team.text.contains("bob@example.com"))
        let privateResult = redactor.redact(text, level: .private)
        #expect(Set(privateResult.findings.keys) == ["aws-access-key"])
        #expect(privateResult.text.contains("123-45-6789"))
    }

    @Test func findingsCountMatches() {
        let result = redactor.redact("a@b.io and c@d.io", level: .public)
        #expect(result.findings["email"] == 2)
        #expect(result.text == "[REDACTED:email] and [REDACTED:email]")
    }

    @Test func luhnAndIPv6Validators() {
        #expect(Redactor.isLuhnValidCardNumber("4111111111111111"))
        #expect(!Redactor.isLuhnValidCardNumber("4111111111111112"))
        #expect(!Redactor.isLuhnValidCardNumber("0000000000000000"))
        #expect(Redactor.isIPv6Address("::1"))
        #expect(!Redactor.isIPv6Address("12:30:45"))
    }
}
