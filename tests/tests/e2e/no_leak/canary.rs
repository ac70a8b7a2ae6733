//! Canaries and markers, and the scanner that finds them in what a public operation answered.
//!
//! Every text that must never be public carries a canary: an ASCII word `LEAKCANARY<w><nnnn>X`
//! (found case-insensitively, so also in lower-cased usernames and e-mail addresses), in Chinese
//! text also a Chinese one `泄密<numerals>` (found by the Chinese search too); personal numbers
//! (phones, identity numbers) are canaries as they stand; the ids of records that are not public
//! are canaries as well. Any `LEAKCANARY` or `泄密` in an answer is a leak, registered or not.
//! Every text that must be public carries a marker `PUBMARK<w><nnnn>Y`, so that the walk can show
//! it saw each of them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

const SECRET: &str = "leakcanary";
const SECRET_ZH: &str = "泄密";
const MARKER: &str = "pubmark";
const NUMERALS: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// What the world put where: each canary and marker with the record and field it came from.
pub struct Ledger {
    world: u32,
    next: u32,
    /// Lower-cased ASCII canary → origin.
    secrets: HashMap<String, String>,
    /// Chinese canary → origin.
    secrets_zh: HashMap<String, String>,
    /// Personal numbers (phones, identity numbers and their hidden middle digits) → origin.
    numbers: Vec<(String, String)>,
    /// Lower-cased ids of records that are not public → origin.
    ids: HashMap<String, String>,
    /// Lower-cased marker → (origin, seen by the walk).
    markers: Mutex<BTreeMap<String, (String, bool)>>,
}

/// A canary found in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Leak {
    pub canary: String,
    pub origin: String,
    /// In which form it was found: raw bytes, a decoded JSON string, percent-decoded, …
    pub form: &'static str,
}

impl Ledger {
    pub fn new(world: u32) -> Ledger {
        Ledger {
            world: world % 10,
            next: 0,
            secrets: HashMap::new(),
            secrets_zh: HashMap::new(),
            numbers: Vec::new(),
            ids: HashMap::new(),
            markers: Mutex::new(BTreeMap::new()),
        }
    }

    fn serial(&mut self) -> u32 {
        self.next += 1;
        assert!(self.next < 10_000, "a world of more than 9,999 canaries");
        self.next
    }

    /// A new ASCII canary for `origin`.
    pub fn secret(&mut self, origin: impl Into<String>) -> String {
        let serial = self.serial();
        let code = format!("LEAKCANARY{}{:04}X", self.world, serial);
        self.secrets.insert(code.to_ascii_lowercase(), origin.into());
        code
    }

    /// A Chinese sentence holding a new ASCII canary and a new Chinese one, for text fields that
    /// the Chinese search indexes.
    pub fn secret_text(&mut self, origin: &str) -> String {
        let ascii = self.secret(origin);
        let n = self.serial();
        let zh: String =
            format!("{}{:04}", self.world, n).chars().map(|d| NUMERALS[d.to_digit(10).unwrap() as usize]).collect();
        let zh = format!("{SECRET_ZH}{zh}");
        self.secrets_zh.insert(zh.clone(), origin.to_owned());
        format!("内部事项{zh}，编号{ascii}，不予公开。")
    }

    /// A new marker for public `origin`.
    pub fn marker(&mut self, origin: impl Into<String>) -> String {
        let serial = self.serial();
        let code = format!("PUBMARK{}{:04}Y", self.world, serial);
        self.markers.lock().unwrap().insert(code.to_ascii_lowercase(), (origin.into(), false));
        code
    }

    /// A Chinese sentence holding a new marker.
    pub fn marker_text(&mut self, origin: &str) -> String {
        format!("公开内容{}，请周知。", self.marker(origin))
    }

    /// A mobile phone number, unique in the world, that must never be public.
    pub fn phone(&mut self, origin: &str) -> String {
        let serial = self.serial();
        let phone = format!("139{}{:07}", self.world, serial);
        self.numbers.push((phone.clone(), format!("{origin} (phone)")));
        phone
    }

    /// A resident identity number with a correct check character, unique in the world; its
    /// middle (birth date and sequence) must never be public either, even where the number is
    /// shown masked.
    pub fn resident_id(&mut self, origin: &str) -> String {
        let serial = self.world * 10_000 + self.serial();
        let id = e2e::resident_id(serial);
        self.numbers.push((id.clone(), format!("{origin} (identity number)")));
        self.numbers.push((id[6..16].to_owned(), format!("{origin} (identity number, its middle)")));
        id
    }

    /// A unified social credit code (GB 32100) with a correct check character, unique in the world.
    pub fn credit_code(&mut self, origin: &str) -> String {
        const CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
        const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
        let serial = self.serial();
        let first = format!("91530102MA{}{:06}", self.world, serial);
        let sum: u32 =
            first.bytes().zip(WEIGHTS).map(|(b, w)| CHARS.iter().position(|c| *c == b).unwrap() as u32 * w).sum();
        let code = format!("{first}{}", CHARS[((31 - sum % 31) % 31) as usize] as char);
        self.numbers.push((code.clone(), format!("{origin} (unified social credit code)")));
        code
    }

    /// Registers the id of a record that is not public.
    pub fn secret_id(&mut self, id: &str, origin: impl Into<String>) {
        self.ids.insert(id.to_ascii_lowercase(), origin.into());
    }

    pub fn is_secret_id(&self, id: &str) -> bool {
        self.ids.contains_key(&id.to_ascii_lowercase())
    }

    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let markers = self.markers.lock().unwrap().len();
        (self.secrets.len() + self.secrets_zh.len(), self.numbers.len(), self.ids.len(), markers)
    }

    /// The markers no answer has shown yet, with their origins.
    pub fn unseen_markers(&self) -> Vec<String> {
        let markers = self.markers.lock().unwrap();
        markers.iter().filter(|(_, (_, seen))| !seen).map(|(m, (origin, _))| format!("{m} ({origin})")).collect()
    }

    /// The canaries of an answer (its headers and body), in every form it may carry them; those
    /// in `allowed` (the caller's own data) are not leaks. Marks the markers it shows as seen.
    pub fn scan(&self, headers: &reqwest::header::HeaderMap, body: &[u8], allowed: &HashSet<String>) -> Vec<Leak> {
        let mut found = HashSet::new();
        for (name, value) in headers {
            let text = format!("{}: {}", name, String::from_utf8_lossy(value.as_bytes()));
            self.scan_text(&text, "header", &mut found);
            self.scan_decodings(&text, &mut found);
        }
        let text = String::from_utf8_lossy(body);
        self.scan_text(&text, "body", &mut found);
        self.scan_decodings(&text, &mut found);
        if let Ok(json) = serde_json::from_slice::<Value>(body) {
            let mut strings = Vec::new();
            strings_of(&json, &mut strings);
            self.scan_text(&strings.join("\n"), "decoded JSON string", &mut found);
            for s in &strings {
                self.scan_cursor(s, &mut found);
            }
        }
        if body.starts_with(b"PK\x03\x04") {
            self.scan_text(&workbook_text(body), "XLSX cell", &mut found);
        }
        let mut leaks: Vec<Leak> = found.into_iter().filter(|l| !allowed.contains(&l.canary)).collect();
        leaks.sort();
        leaks
    }

    fn scan_decodings(&self, text: &str, found: &mut HashSet<Leak>) {
        if text.contains('%') {
            let decoded = percent_decoded(text);
            if decoded != text {
                self.scan_text(&decoded, "percent-decoded", found);
            }
        }
        if text.contains("&#") || text.contains("\\u") {
            self.scan_text(&entities_decoded(text), "entity- or escape-decoded", found);
        }
    }

    /// A string that may be an opaque cursor (base64url): what it decodes to.
    fn scan_cursor(&self, s: &str, found: &mut HashSet<Leak>) {
        if s.len() < 16 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return;
        }
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')) else { return };
        if let Ok(id) = uuid::Uuid::from_slice(&bytes) {
            self.scan_text(&id.to_string(), "id inside a cursor", found);
        } else if let Ok(text) = String::from_utf8(bytes) {
            self.scan_text(&text, "text inside a cursor", found);
        }
    }

    fn scan_text(&self, text: &str, form: &'static str, found: &mut HashSet<Leak>) {
        let lower = text.to_lowercase();
        for (at, _) in lower.match_indices(SECRET) {
            let code: String = lower[at..].chars().take(SECRET.len() + 6).collect();
            let origin = self.secrets.get(&code).cloned().unwrap_or_else(|| "an unregistered canary".into());
            found.insert(Leak { canary: code.to_ascii_uppercase(), origin, form });
        }
        for (at, _) in text.match_indices(SECRET_ZH) {
            let code: String = text[at..].chars().take(2 + 5).collect();
            let origin = self.secrets_zh.get(&code).cloned().unwrap_or_else(|| "an unregistered canary".into());
            found.insert(Leak { canary: code, origin, form });
        }
        if lower.contains(MARKER) {
            let mut markers = self.markers.lock().unwrap();
            for (at, _) in lower.match_indices(MARKER) {
                let code: String = lower[at..].chars().take(MARKER.len() + 6).collect();
                if let Some(entry) = markers.get_mut(&code) {
                    entry.1 = true;
                }
            }
        }
        // Personal numbers: within each run of digits (and the X of identity numbers).
        let bytes = lower.as_bytes();
        let mut start = None;
        for i in 0..=bytes.len() {
            let digit = i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'x');
            match (digit, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if i - s >= 7 {
                        let run = &lower[s..i];
                        for (number, origin) in &self.numbers {
                            if run.contains(&number.to_ascii_lowercase()) {
                                found.insert(Leak { canary: number.clone(), origin: origin.clone(), form });
                            }
                        }
                    }
                    start = None;
                }
                _ => {}
            }
        }
        // Unified social credit codes hold letters: look for each (there are few).
        for (number, origin) in self.numbers.iter().filter(|(n, _)| n.len() == 18 && n.starts_with("915")) {
            if lower.contains(&number.to_ascii_lowercase()) {
                found.insert(Leak { canary: number.clone(), origin: origin.clone(), form });
            }
        }
        // Ids of records that are not public.
        if !self.ids.is_empty() && bytes.len() >= 36 {
            for i in 0..=bytes.len() - 36 {
                if bytes[i + 8] == b'-' && bytes[i + 13] == b'-' && bytes[i + 18] == b'-' && bytes[i + 23] == b'-' {
                    if let Some(candidate) = lower.get(i..i + 36) {
                        if let Some(origin) = self.ids.get(candidate) {
                            found.insert(Leak { canary: candidate.to_owned(), origin: origin.clone(), form });
                        }
                    }
                }
            }
        }
    }
}

fn strings_of(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings_of(v, out);
            }
        }
        _ => {}
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Decodes `&#NNN;`, `&#xHH;` and `\uXXXX`.
fn entities_decoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let (code, len) = if let Some(tail) = rest.strip_prefix("&#x").or_else(|| rest.strip_prefix("&#X")) {
            let digits: String = tail.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            (u32::from_str_radix(&digits, 16).ok().filter(|_| tail[digits.len()..].starts_with(';')), digits.len() + 4)
        } else if let Some(tail) = rest.strip_prefix("&#") {
            let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
            (digits.parse().ok().filter(|_| tail[digits.len()..].starts_with(';')), digits.len() + 3)
        } else if let Some(tail) = rest.strip_prefix("\\u") {
            let digits: String = tail.chars().take(4).collect();
            (u32::from_str_radix(&digits, 16).ok().filter(|_| digits.len() == 4), 6)
        } else {
            (None, 0)
        };
        match code.and_then(char::from_u32) {
            Some(decoded) => {
                out.push(decoded);
                rest = &rest[len..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// Every cell of every sheet of a workbook, as text (the raw bytes are compressed).
fn workbook_text(bytes: &[u8]) -> String {
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    let Ok(mut workbook) = open_workbook_from_rs::<Xlsx<_>, _>(std::io::Cursor::new(bytes.to_vec())) else {
        return String::new();
    };
    let mut out = String::new();
    for name in workbook.sheet_names() {
        if let Ok(range) = workbook.worksheet_range(&name) {
            for row in range.rows() {
                for cell in row {
                    out.push_str(&cell.to_string());
                    out.push('\t');
                }
                out.push('\n');
            }
        }
    }
    out
}

/// The scanner itself: every form a canary may take in an answer, and the caller's own data.
#[test]
fn the_scanner_finds_canaries_in_every_form_and_spares_the_callers_own() {
    let mut ledger = Ledger::new(7);
    let ascii = ledger.secret("a title");
    let text = ledger.secret_text("a body");
    let zh = text.trim_start_matches("内部事项").split('，').next().unwrap().to_owned();
    let phone = ledger.phone("an applicant");
    let identity = ledger.resident_id("an applicant");
    let code = ledger.credit_code("a company");
    let id = uuid::Uuid::now_v7();
    ledger.secret_id(&id.to_string(), "a draft");
    let marker = ledger.marker("a public title");
    let none = reqwest::header::HeaderMap::new();
    let nobody = HashSet::new();
    let found = |body: &str| ledger.scan(&none, body.as_bytes(), &nobody);
    let canaries = |body: &str| found(body).into_iter().map(|l| l.canary).collect::<HashSet<_>>();

    assert!(canaries(&format!("{{\"title\":\"{ascii}\"}}")).contains(&ascii));
    assert!(canaries(&ascii.to_lowercase()).contains(&ascii), "lower-cased, as in usernames and e-mail");
    let escaped: String = zh.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
    assert!(canaries(&format!("{{\"t\":\"{escaped}\"}}")).contains(&zh), "JSON \\u escapes");
    let entities: String = zh.chars().map(|c| format!("&#{};", c as u32)).collect();
    assert!(canaries(&format!("<summary>{entities}</summary>")).contains(&zh), "XML character references");
    let percent: String = zh.bytes().map(|b| format!("%{b:02X}")).collect();
    assert!(canaries(&format!("/search?q={percent}")).contains(&zh), "percent-encoded");
    assert!(canaries(&format!("电话：{phone}。")).contains(&phone));
    assert!(canaries(&format!("证件：{}", identity.to_lowercase())).contains(&identity));
    assert!(canaries(&format!("出生：{}", &identity[6..16])).contains(&identity[6..16]), "the hidden middle");
    assert!(!canaries(&format!("{}********{}", &identity[..6], &identity[16..])).contains(&identity), "masked");
    assert!(canaries(&format!("代码{code}")).contains(&code));
    assert!(canaries(&format!("{{\"document_id\":\"{id}\"}}")).contains(&id.to_string()));
    let cursor = URL_SAFE_NO_PAD.encode(id.as_bytes());
    assert!(canaries(&format!("{{\"next_cursor\":\"{cursor}\"}}")).contains(&id.to_string()), "inside a cursor");
    assert!(canaries("LEAKCANARY99999X").contains("LEAKCANARY99999X"), "an unregistered canary is a leak too");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("content-disposition", format!("attachment; filename*=UTF-8''{percent}.pdf").parse().unwrap());
    assert_eq!(ledger.scan(&headers, b"", &nobody)[0].canary, zh, "in a header");
    let own = HashSet::from([ascii.clone()]);
    assert!(ledger.scan(&none, ascii.as_bytes(), &own).is_empty(), "the caller's own data");
    assert_eq!(ledger.unseen_markers().len(), 1);
    assert!(found(&format!("<title>{marker}</title>")).is_empty());
    assert!(ledger.unseen_markers().is_empty(), "a marker shown is seen");
}
