//! Dates and timestamps for the hot public answers, written as chrono's own serde writes them
//! (RFC 3339 with `Z` and as many fraction digits as needed; `YYYY-MM-DD`), but in one piece.
//! chrono hands serde_json its text through `collect_str`, one fragment or character at a time,
//! and serde_json escapes every fragment on its own: a timestamp cost about 2,000 instructions,
//! a tenth of a public list page's serialization (callgrind, issue 11). Formatting into a buffer
//! first and writing that as one string gives the same bytes for a fraction of that.
//!
//! Use with `#[serde(serialize_with = "…")]`; the contract is unchanged (the schema comes from
//! the field's type), and the tests below hold the output to chrono's.

use std::fmt::{self, Write};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serializer;

/// Text of known small size, on the stack.
struct ShortText {
    bytes: [u8; 48],
    len: usize,
}

impl ShortText {
    fn new() -> ShortText {
        ShortText { bytes: [0; 48], len: 0 }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Write for ShortText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let room = self.bytes.get_mut(self.len..end).ok_or(fmt::Error)?;
        room.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

pub fn timestamp<S: Serializer>(value: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub fn optional_timestamp<S: Serializer>(value: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => timestamp(value, serializer),
        None => serializer.serialize_none(),
    }
}

pub fn date<S: Serializer>(value: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = ShortText::new();
    // chrono's serde writes a date as its Debug form. A year beyond the buffer cannot occur (at
    // most 5 digits and a sign), but if it did, chrono's own path still writes it.
    if write!(text, "{value:?}").is_err() {
        return serializer.collect_str(&format_args!("{value:?}"));
    }
    serializer.serialize_str(text.as_str())
}

pub fn optional_date<S: Serializer>(value: &Option<NaiveDate>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => date(value, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use serde::Serialize;

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "timestamp")]
        at: DateTime<Utc>,
        #[serde(serialize_with = "optional_timestamp")]
        maybe_at: Option<DateTime<Utc>>,
        #[serde(serialize_with = "date")]
        on: NaiveDate,
        #[serde(serialize_with = "optional_date")]
        maybe_on: Option<NaiveDate>,
    }

    #[derive(Serialize)]
    struct Chrono {
        at: DateTime<Utc>,
        maybe_at: Option<DateTime<Utc>>,
        on: NaiveDate,
        maybe_on: Option<NaiveDate>,
    }

    fn both(at: DateTime<Utc>, on: NaiveDate, present: bool) -> (String, String) {
        let fast = Fast { at, maybe_at: present.then_some(at), on, maybe_on: present.then_some(on) };
        let chrono = Chrono { at, maybe_at: present.then_some(at), on, maybe_on: present.then_some(on) };
        (serde_json::to_string(&fast).unwrap(), serde_json::to_string(&chrono).unwrap())
    }

    #[test]
    fn writes_what_chrono_writes_for_every_fraction_and_date() {
        let base = Utc.with_ymd_and_hms(2026, 1, 10, 5, 35, 0).unwrap();
        // Whole seconds, milliseconds, microseconds, nanoseconds (each fraction width chrono picks).
        let fractions = [0, 1_000_000, 120_000_000, 1_000, 123_456_000, 1, 123_456_789, 999_999_999];
        let days = [
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(-44, 3, 15).unwrap(),
            NaiveDate::MAX,
            NaiveDate::MIN,
        ];
        let mut compared = 0;
        for (i, nanos) in fractions.into_iter().enumerate() {
            for (j, on) in days.into_iter().enumerate() {
                let at = base + Duration::days((i * 400 + j * 37) as i64) + Duration::nanoseconds(nanos);
                for present in [true, false] {
                    let (fast, chrono) = both(at, on, present);
                    assert_eq!(fast, chrono);
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 128);
        let (fast, _) = both(base + Duration::milliseconds(5), days[2], true);
        assert_eq!(
            fast,
            r#"{"at":"2026-01-10T05:35:00.005Z","maybe_at":"2026-01-10T05:35:00.005Z","on":"2024-02-29","maybe_on":"2024-02-29"}"#
        );
    }

    #[test]
    fn a_leap_second_is_written_as_chrono_writes_it() {
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        let (fast, chrono) = both(leap, NaiveDate::from_ymd_opt(2016, 12, 31).unwrap(), true);
        assert_eq!(fast, chrono);
        assert!(fast.contains("23:59:60.500Z"), "{fast}");
    }
}
