//! Looks through log lines for what must never be logged: bearer tokens and JWTs, refresh tokens
//! and client or webhook secrets, password hashes, the suite's own passwords, and personal data
//! (resident identity numbers, mobile numbers, e-mail addresses).

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

/// One thing found: where, and what kind (the value itself is never printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    pub line: usize,
    pub kind: &'static str,
}

#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    pub lines: usize,
    /// Access-log lines, and those naming an authenticated staff caller: a capture without them
    /// did not see the requests.
    pub access_lines: usize,
    pub staff_access_lines: usize,
    pub findings: Vec<Finding>,
}

struct Pattern {
    kind: &'static str,
    regex: Regex,
    /// A further check on the match (a checksum) that keeps lookalikes out.
    confirm: fn(&str) -> bool,
}

fn always(_: &str) -> bool {
    true
}

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let pattern = |kind, regex: &str, confirm| Pattern { kind, regex: Regex::new(regex).expect("pattern"), confirm };
    vec![
        pattern("jwt", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}", always),
        pattern("bearer_credentials", r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{16,}", always),
        pattern("password_hash", r"\$argon2(id|i|d)\$", always),
        pattern("webhook_secret", r"whsec_[A-Za-z0-9+/=]{16,}", always),
        pattern("client_secret", r"gks_[A-Za-z0-9_-]{20,}", always),
        pattern("private_key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", always),
        pattern("url_credentials", r#"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@"]+:[^/\s@"]+@"#, always),
        pattern("s3_access_key", r"(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)", always),
        // Any value logged under a secret's name, whatever the value looks like.
        pattern(
            "secret_field",
            r#"(?i)(^|[^a-z_])(password|current_password|new_password|client_secret|refresh_token|access_token|query_token|secret_access_key)"?\s*[:=]\s*"?[^",}\s]{4,}"#,
            always,
        ),
        // random_token(32): 43 URL-safe characters, as refresh tokens and client secrets are made.
        pattern("random_secret", r"(^|[^A-Za-z0-9_-])[A-Za-z0-9_-]{43}([^A-Za-z0-9_-]|$)", looks_random),
        pattern(
            "suite_password",
            r"(?i)-Password-1|Admin-password-2026|Qin-yi-pass|Renewed-pass|Wrong-guess-|wrong-password-|parallel-guess-|Brand-new-password|Good-password-2026|made-password-1|Second-pass-2|alllowercase1|Changed-for-backup-1|Another-pass-3|Not-it-|Fuzz-[0-9a-f]{24}",
            always,
        ),
        // Bounded by anything but letters, digits and '.', so that parts of UUIDs, hex digests and
        // decimal fractions are not taken for numbers; "+86" may come before a mobile number.
        pattern("resident_id_number", r"(^|[^0-9A-Za-z.])(\d{17}[\dXx])([^0-9A-Za-z]|$)", resident_id_checksum),
        pattern("mobile_number", r"(^|[^0-9A-Za-z.])(\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}([^0-9A-Za-z]|$)", always),
        pattern("email_address", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", always),
    ]
});

/// A URL-safe run of 43 characters that mixes cases and digits (not a word or a hex digest).
fn looks_random(found: &str) -> bool {
    let run: String = found.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    run.chars().any(|c| c.is_ascii_uppercase())
        && run.chars().any(|c| c.is_ascii_lowercase())
        && run.chars().any(|c| c.is_ascii_digit())
}

/// GB 11643-1999: the last character is the ISO 7064 MOD 11-2 check of the first 17 digits.
fn resident_id_checksum(found: &str) -> bool {
    let digits: Vec<char> = found.chars().filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x').collect();
    if digits.len() != 18 {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits[..17].iter().zip(WEIGHTS).map(|(d, w)| d.to_digit(10).unwrap_or(0) * w).sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    digits[17].to_ascii_uppercase() == check
}

/// The kinds of secret or personal datum in one line.
pub fn scan_line(line: &str) -> Vec<&'static str> {
    PATTERNS.iter().filter(|p| p.regex.find_iter(line).any(|m| (p.confirm)(m.as_str()))).map(|p| p.kind).collect()
}

/// Scans every file in `dir`.
pub fn scan_dir(dir: &Path) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        summary.files += 1;
        let text = String::from_utf8_lossy(&std::fs::read(&path)?).into_owned();
        for (index, line) in text.lines().enumerate() {
            summary.lines += 1;
            if line.contains(r#""target":"access""#) {
                summary.access_lines += 1;
                if line.contains(r#""caller":"user:"#) {
                    summary.staff_access_lines += 1;
                }
            }
            for kind in scan_line(line) {
                summary.findings.push(Finding { file: path.display().to_string(), line: index + 1, kind });
            }
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_secret_and_personal_datum_is_found() {
        let planted = [
            ("jwt", "token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"),
            ("bearer_credentials", r#""authorization":"Bearer abcdefghijklmnop1234""#),
            ("password_hash", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
            ("webhook_secret", "secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            ("random_secret", "refresh=Zq3vY0b9-1KxT_8mW2pLrN5sQ7uVcH4dJ6eFgAiBoC0 done"),
            ("suite_password", "login zhang.san with zhang.san-Password-1"),
            ("resident_id_number", "applicant 11010519491231002X asked"),
            ("mobile_number", r#""phone":"13812345678""#),
            ("mobile_number", "call +8613812345678 now"),
            ("mobile_number", "call 86 138-1234-5678 now"),
            ("mobile_number", "call 138 1234 5678"),
            ("client_secret", "secret gks_Zq3vY0b9-1KxT_8mW2pLrN5sQ7uVcH4dJ6eFgAiBoC0"),
            ("private_key", "-----BEGIN PRIVATE KEY-----"),
            ("url_credentials", "connecting to postgres://gongkai:s3cret@db.internal/gongkai"),
            ("s3_access_key", "key AKIAIOSFODNN7EXAMPLE used"),
            ("secret_field", r#"LoginRequest { username: "a", password: "hunter22" }"#),
            ("secret_field", r#"{"refresh_token":"abc.def"}"#),
            ("suite_password", "guessing Wrong-guess-3"),
            ("email_address", "contact wang.wu@example.com"),
        ];
        for (kind, line) in planted {
            assert!(scan_line(line).contains(&kind), "{kind} not found in {line}");
        }
    }

    #[test]
    fn ordinary_request_lines_are_clean() {
        let lines = [
            r#"{"timestamp":"2026-11-27T09:26:17.123Z","level":"INFO","request_id":"01936b2e-7c1a-7f3e-9a4b-2c5d6e7f8a9b","method":"GET","path":"/api/v1/public/documents/01936b2e-7c1a-7f3e-9a4b-2c5d6e7f8a9b","status":200,"elapsed_ms":1.25,"message":"request"}"#,
            r#"{"message":"sealing","row_hash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}"#,
            r#"{"message":"deadline","count":20261127,"tracking_code":"GK-20261127-0042"}"#,
            "an identity number with a wrong check digit: 110105194912310021",
            "a timestamp 1732700000000 in milliseconds",
            r#""request_id":"01a21c66-c216-716c-8160-14729966132c","elapsed_ms":9.13812345678"#,
            r#"{"action":"user.password_reset","changed_fields":["password"],"password_changed_at":"2026-11-27"}"#,
            "connecting to postgres://postgres@127.0.0.1:5432/gongkai",
            r#""elapsed_ms":1.0318619999999998,"#,
        ];
        for line in lines {
            assert_eq!(scan_line(line), Vec::<&str>::new(), "{line}");
        }
    }
}
