//! The caller's language (zh-CN unless `Accept-Language` prefers English) and request id, carried
//! through the request so that errors raised anywhere below render in that language.

use actix_web::http::header::{HeaderMap, ACCEPT_LANGUAGE};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Picks the highest-weighted of the languages we speak; anything unknown means zh-CN.
    pub fn from_accept_language(value: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else if tag == "zh" || tag.starts_with("zh-") || tag == "*" {
                Lang::Zh
            } else {
                continue;
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }

    pub fn from_headers(headers: &HeaderMap) -> Lang {
        headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map_or(Lang::Zh, Lang::from_accept_language)
    }
}

#[derive(Debug, Clone)]
pub struct RequestContext {
    pub lang: Lang,
    pub request_id: String,
}

tokio::task_local! {
    pub static REQUEST_CONTEXT: RequestContext;
}

/// The language and request id of the request being served (defaults outside a request).
pub fn current_lang() -> (Lang, Option<String>) {
    REQUEST_CONTEXT.try_with(|ctx| (ctx.lang, Some(ctx.request_id.clone()))).unwrap_or((Lang::Zh, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_only_when_preferred() {
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("fr, en;q=0.5"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }
}
