//! Chinese full-text search without an external engine: text is indexed as overlapping character
//! bigrams of its CJK runs (the database's `search_terms` function, in a generated `tsvector`),
//! plus lower-cased ASCII words and numbers, so that two-character words such as 扶贫, 低保 and 医保
//! are found without a dictionary. A query is cut the same way: a CJK run becomes the phrase of its
//! bigrams (adjacent positions), a single character a prefix, and all parts must match.

/// At most this many parts of a query are used; the rest are ignored.
const MAX_PARTS: usize = 16;

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// One searchable run of the query: CJK characters, or an ASCII word or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Cjk(String),
    Word(String),
}

/// The query's runs, in order, as the index cuts text (anything else separates runs).
pub fn parts(query: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut run = String::new();
    let mut word = String::new();
    let flush_run = |run: &mut String, parts: &mut Vec<Part>| {
        if !run.is_empty() {
            parts.push(Part::Cjk(std::mem::take(run)));
        }
    };
    let flush_word = |word: &mut String, parts: &mut Vec<Part>| {
        if !word.is_empty() {
            parts.push(Part::Word(std::mem::take(word).to_ascii_lowercase()));
        }
    };
    for c in query.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut parts);
            run.push(c);
        } else if c.is_ascii_alphanumeric() {
            flush_run(&mut run, &mut parts);
            word.push(c);
        } else {
            flush_run(&mut run, &mut parts);
            flush_word(&mut word, &mut parts);
        }
    }
    flush_run(&mut run, &mut parts);
    flush_word(&mut word, &mut parts);
    parts.truncate(MAX_PARTS);
    parts
}

/// The `to_tsquery('simple', …)` text of a query, or `None` when nothing in it is searchable.
/// Every term is CJK characters or ASCII alphanumerics, so nothing needs quoting.
pub fn tsquery(query: &str) -> Option<String> {
    let clauses: Vec<String> = parts(query)
        .into_iter()
        .map(|part| match part {
            Part::Word(word) => word,
            Part::Cjk(run) => {
                let chars: Vec<char> = run.chars().collect();
                if chars.len() == 1 {
                    // A lone character is indexed only as the start of a bigram (年 of 年度).
                    format!("{run}:*")
                } else {
                    let bigrams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
                    format!("({})", bigrams.join(" <-> "))
                }
            }
        })
        .collect();
    (!clauses.is_empty()).then(|| clauses.join(" & "))
}

/// Appends `text` escaped for HTML and XML content and attributes; control characters XML 1.0
/// cannot carry are dropped.
pub fn escape_markup(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// `text` escaped for HTML and XML (see [`escape_markup`]).
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_markup(text, &mut out);
    out
}

/// Where each needle occurs in `chars` (ASCII compared case-insensitively): (start, length).
fn occurrences(chars: &[char], needles: &[Vec<char>]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let hit = needles
            .iter()
            .filter(|n| !n.is_empty() && i + n.len() <= chars.len())
            .find(|n| n.iter().zip(&chars[i..]).all(|(a, b)| a.eq_ignore_ascii_case(b)));
        match hit {
            Some(n) => {
                found.push((i, n.len()));
                i += n.len();
            }
            None => i += 1,
        }
    }
    found
}

/// `text` with the query's runs marked `<em>…</em>` and everything else HTML-escaped; when
/// `window` is set, only about that many characters around the first match, with … at the cuts.
pub fn highlight(text: &str, query: &str, window: Option<usize>) -> String {
    let needles: Vec<Vec<char>> = parts(query)
        .into_iter()
        .map(|p| match p {
            Part::Cjk(s) | Part::Word(s) => s.chars().collect(),
        })
        .collect();
    let chars: Vec<char> = text.chars().collect();
    let hits = occurrences(&chars, &needles);
    let (start, end) = match window {
        Some(width) => {
            let first = hits.first().map_or(0, |h| h.0);
            let start = first.saturating_sub(width / 4);
            (start, (start + width).min(chars.len()))
        }
        None => (0, chars.len()),
    };
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut i = start;
    for &(at, len) in hits.iter().filter(|(at, len)| *at >= start && at + len <= end) {
        escape_markup(&chars[i..at].iter().collect::<String>(), &mut out);
        out.push_str("<em>");
        escape_markup(&chars[at..at + len].iter().collect::<String>(), &mut out);
        out.push_str("</em>");
        i = at + len;
    }
    escape_markup(&chars[i..end].iter().collect::<String>(), &mut out);
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_become_phrases_of_bigrams_words_and_prefixes() {
        assert_eq!(tsquery("扶贫").as_deref(), Some("(扶贫)"));
        assert_eq!(tsquery("医疗保障").as_deref(), Some("(医疗 <-> 疗保 <-> 保障)"));
        assert_eq!(tsquery("2026年 医保").as_deref(), Some("2026 & 年:* & (医保)"));
        assert_eq!(tsquery("COVID-19 低保").as_deref(), Some("covid & 19 & (低保)"));
        assert_eq!(tsquery("  ，。!? "), None);
        assert_eq!(tsquery("a'b:*|&").as_deref(), Some("a & b"), "operators and quotes never reach the query");
        assert_eq!(parts(&"字 ".repeat(40)).len(), 16);
    }

    #[test]
    fn highlights_mark_the_terms_and_escape_the_rest() {
        let text = "为巩固拓展脱贫攻坚成果，<b>元谋县</b>2026年医保政策向低保对象倾斜。";
        assert_eq!(
            highlight(text, "2026年 医保", None),
            "为巩固拓展脱贫攻坚成果，&lt;b&gt;元谋县&lt;/b&gt;<em>2026</em><em>年</em><em>医保</em>政策向低保对象倾斜。"
        );
        let long = format!("{}低保对象{}", "前".repeat(100), "后".repeat(100));
        let snippet = highlight(&long, "低保", Some(40));
        assert!(snippet.starts_with('…') && snippet.ends_with('…'), "{snippet}");
        assert!(snippet.contains("<em>低保</em>"));
        assert_eq!(snippet.chars().filter(|c| *c == '前').count(), 10);
        assert_eq!(highlight("Medical INSURANCE", "insurance", None), "Medical <em>INSURANCE</em>");
    }
}
