//! Chinese full-text search without an external engine: text is indexed as overlapping character
//! bigrams of its CJK runs (the database's `search_terms` function, in a generated `tsvector`),
//! plus lower-cased ASCII words and numbers, so that two-character words such as 扶贫, 低保 and 医保
//! are found without a dictionary. A query is cut the same way: a CJK run becomes the phrase of its
//! bigrams (adjacent positions), a single character a prefix, and all parts must match.

/// At most this many parts of a query are used; the rest are ignored.
const MAX_PARTS: usize = 16;

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3007}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// Full-width digits and letters as the index folds them (NFKC): ２０２６ is 2026.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// One searchable run of the query: CJK characters, or an ASCII word or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Cjk(String),
    Word(String),
}

/// The query's runs, in order, as the index cuts text (anything else separates runs).
pub fn parts(query: &str) -> Vec<Part> {
    glued_parts(query).into_iter().map(|(part, _)| part).collect()
}

/// The runs, each with whether it follows the previous one without a separator (2026年: 年 is
/// glued to 2026).
fn glued_parts(query: &str) -> Vec<(Part, bool)> {
    let mut parts: Vec<(Part, bool)> = Vec::new();
    let mut current: Option<Part> = None;
    let mut glued = false;
    let mut separated = true;
    for c in query.chars().map(fold_width) {
        let cjk = is_cjk(c);
        if !cjk && !c.is_ascii_alphanumeric() {
            if let Some(part) = current.take() {
                parts.push((part, glued));
            }
            separated = true;
            continue;
        }
        match (&mut current, cjk) {
            (Some(Part::Cjk(run)), true) => run.push(c),
            (Some(Part::Word(word)), false) => word.push(c.to_ascii_lowercase()),
            (slot, _) => {
                let follows = slot.is_some() && !separated;
                if let Some(part) = slot.take() {
                    parts.push((part, glued));
                }
                glued = follows;
                *slot =
                    Some(if cjk { Part::Cjk(c.to_string()) } else { Part::Word(c.to_ascii_lowercase().to_string()) });
            }
        }
        separated = false;
    }
    if let Some(part) = current {
        parts.push((part, glued));
    }
    parts.truncate(MAX_PARTS);
    parts
}

/// The `to_tsquery('simple', …)` text of a query, or `None` when nothing in it is searchable.
/// Every term is CJK characters or ASCII alphanumerics, so nothing needs quoting. A lone character
/// is a prefix (it is indexed as the start of a bigram, or alone at a run's end): glued to a number
/// or word before it (2026年, 400元) it extends that word as a phrase; standing alone it is left out
/// when the query has longer parts, and at most two are used, since each prefix scans the index widely.
pub fn tsquery(query: &str) -> Option<String> {
    let parts = glued_parts(query);
    let single = |p: &Part| matches!(p, Part::Cjk(run) if run.chars().count() == 1);
    let has_longer = parts.iter().any(|(p, _)| !single(p));
    let mut clauses: Vec<String> = Vec::new();
    let mut previous_word = false;
    let mut lone = 0;
    for (part, glued) in &parts {
        match part {
            Part::Word(word) => clauses.push(word.clone()),
            Part::Cjk(run) if single(part) => {
                if *glued && previous_word {
                    if let Some(last) = clauses.pop() {
                        clauses.push(format!("({last} <-> {run}:*)"));
                    }
                } else if !has_longer && lone < 2 {
                    clauses.push(format!("{run}:*"));
                    lone += 1;
                }
            }
            Part::Cjk(run) => {
                let chars: Vec<char> = run.chars().collect();
                let bigrams: Vec<String> = chars.windows(2).map(|w| w.iter().collect()).collect();
                clauses.push(format!("({})", bigrams.join(" <-> ")));
            }
        }
        previous_word = matches!(part, Part::Word(_));
    }
    (!clauses.is_empty()).then(|| clauses.join(" & "))
}

/// The same terms as a [`tsquery`] text with no order or adjacency asked of them, when it has a
/// phrase (`None` otherwise): every document the query matches matches this one too. A GIN index
/// answers a phrase with every document that has its terms, and PostgreSQL then reads each one's
/// vector to check their positions; this form needs no vector (the index's own pages and the
/// table's for the ids), so a search can order those candidates first and check the phrase only
/// on the ones it shows (issue 11).
///
/// Only for the texts [`tsquery`] writes, whose operators are `&` and `<->`: under a `!` the
/// looser form would match less, not more; a text with `|` is not one of them, and is left alone.
pub fn tsquery_in_any_order(text: &str) -> Option<String> {
    (text.contains("<->") && !text.contains(['!', '|'])).then(|| text.replace("<->", "&"))
}

/// The term a query's title hits can be read by, newest first, off the ordered index of title
/// terms: every title that matches the query has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TitleDriver<'a> {
    pub term: &'a str,
    /// The query is this term alone, so every title with it is a hit.
    pub sole: bool,
}

/// The driver of a `tsquery` text (as [`tsquery`] writes it: every part must match), or `None`
/// when no part is a whole term (only prefixes such as `县:*`). A word or bigram is preferred to
/// a number: years and counts recur in titles, so fewer titles share a word.
pub fn title_driver(tsquery: &str) -> Option<TitleDriver<'_>> {
    if tsquery.contains(['|', '!']) {
        return None;
    }
    let tokens: Vec<&str> = tsquery
        .split(|c: char| !(c.is_alphanumeric() || c == ':' || c == '*'))
        .filter(|token| !token.is_empty())
        .collect();
    let whole = |token: &&&str| token.chars().all(char::is_alphanumeric);
    let number = |token: &&&str| token.chars().all(|c| c.is_ascii_digit());
    let term = tokens.iter().filter(whole).find(|t| !number(t)).or_else(|| tokens.iter().find(whole))?;
    Some(TitleDriver { term, sole: tokens.len() == 1 })
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
            '\u{FFFE}' | '\u{FFFF}' => {}
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
        assert_eq!(tsquery("2026年 医保").as_deref(), Some("(2026 <-> 年:*) & (医保)"));
        assert_eq!(tsquery("2026 年 医保").as_deref(), Some("2026 & (医保)"), "a lone 年 only highlights");
        assert_eq!(tsquery("２０２６年　ＡＰＰ").as_deref(), Some("(2026 <-> 年:*) & app"));
        assert_eq!(tsquery("县").as_deref(), Some("县:*"));
        assert_eq!(tsquery("县 乡 镇").as_deref(), Some("县:* & 乡:*"));
        assert_eq!(tsquery("COVID-19 低保").as_deref(), Some("covid & 19 & (低保)"));
        assert_eq!(tsquery("  ，。!? "), None);
        assert_eq!(tsquery("a'b:*|&").as_deref(), Some("a & b"), "operators and quotes never reach the query");
        assert_eq!(parts(&"字 ".repeat(40)).len(), 16);
    }

    #[test]
    fn a_phrase_loosened_to_its_terms_in_any_order_keeps_every_term_and_prefix() {
        let loose = |query: &str| tsquery_in_any_order(&tsquery(query).unwrap());
        assert_eq!(loose("专款专用").as_deref(), Some("(专款 & 款专 & 专用)"));
        assert_eq!(loose("2026年 医保").as_deref(), Some("(2026 & 年:*) & (医保)"));
        assert_eq!(loose("扶贫"), None, "one bigram: no positions to check");
        assert_eq!(loose("扶贫 低保"), None);
        assert_eq!(loose("县 乡"), None);
        assert_eq!(tsquery_in_any_order("!(专款 <-> 款专)"), None, "looser under a negation is narrower");
        assert_eq!(tsquery_in_any_order("(专款 <-> 款专) | 扶贫"), None);
    }

    #[test]
    fn a_query_is_read_by_a_whole_term_it_requires_preferring_words_to_numbers() {
        let driver = |query: &str| {
            let q = tsquery(query).unwrap();
            title_driver(&q).map(|d| (d.term.to_owned(), d.sole))
        };
        assert_eq!(driver("扶贫"), Some(("扶贫".into(), true)));
        assert_eq!(driver("  扶贫！"), Some(("扶贫".into(), true)));
        assert_eq!(driver("COVID"), Some(("covid".into(), true)));
        assert_eq!(driver("２０２６"), Some(("2026".into(), true)));
        assert_eq!(driver("乡村振兴"), Some(("乡村".into(), false)));
        assert_eq!(driver("2026年 医保"), Some(("医保".into(), false)), "(2026 <-> 年:*) & (医保)");
        assert_eq!(driver("2026年"), Some(("2026".into(), false)));
        assert_eq!(driver("COVID-19 低保"), Some(("covid".into(), false)));
        assert_eq!(driver("县"), None, "a prefix alone");
        assert_eq!(driver("县 乡"), None);
        assert_eq!(title_driver("(扶贫) | (低保)"), None, "not every part must match");
        assert_eq!(title_driver("!(扶贫)"), None);
        assert_eq!(title_driver(""), None);
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
