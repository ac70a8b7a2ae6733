//! Dates and timestamps for the hot public answers, written as chrono's own serde writes them
//! (RFC 3339 with `Z` and as many fraction digits as needed; `YYYY-MM-DD`), but in one piece.
//! chrono hands serde_json its text through `collect_str`, one fragment or character at a time,
//! and serde_json escapes every fragment on its own: a timestamp cost about 2,000 instructions,
//! a tenth of a public list page's serialization (callgrind, issue 11). The digits of a date
//! with a four-digit year are written straight into a buffer on the stack (through `fmt`, a date
//! still cost about 1,000 instructions); other years take chrono's own formatting.
//!
//! Use with `#[serde(serialize_with = "…")]`; the contract is unchanged (the schema comes from
//! the field's type), and the tests below hold the output to chrono's.

use std::fmt::{self, Write};

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
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
        // Only ASCII digits and punctuation or whole `&str`s are ever copied in, so the bytes
        // are UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// `n` as exactly `width` decimal digits, zero-padded (`n` is below 10^width).
    fn push_digits(&mut self, mut n: u32, width: usize) {
        let end = self.len + width;
        if let Some(room) = self.bytes.get_mut(self.len..end) {
            for slot in room.iter_mut().rev() {
                *slot = b'0' + (n % 10) as u8;
                n /= 10;
            }
            self.len = end;
        }
    }

    /// `YYYY-MM-DD` for a year of four digits, as chrono writes one; false for other years.
    fn push_date(&mut self, date: NaiveDate) -> bool {
        let Ok(year @ 0..=9999) = u32::try_from(date.year()) else { return false };
        self.push_digits(year, 4);
        self.push(b'-');
        self.push_digits(date.month(), 2);
        self.push(b'-');
        self.push_digits(date.day(), 2);
        true
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
    let mut text = ShortText::new();
    if !text.push_date(value.date_naive()) {
        return serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    }
    let time = value.time();
    let (mut second, mut nano) = (time.second(), time.nanosecond());
    // chrono keeps a leap second as a nanosecond count past 10^9 in the 59th second.
    if nano >= 1_000_000_000 {
        second += 1;
        nano -= 1_000_000_000;
    }
    text.push(b'T');
    text.push_digits(time.hour(), 2);
    text.push(b':');
    text.push_digits(time.minute(), 2);
    text.push(b':');
    text.push_digits(second, 2);
    // As many fraction digits as needed, in steps of three (chrono's `SecondsFormat::AutoSi`).
    if nano != 0 {
        text.push(b'.');
        if nano % 1_000_000 == 0 {
            text.push_digits(nano / 1_000_000, 3);
        } else if nano % 1_000 == 0 {
            text.push_digits(nano / 1_000, 6);
        } else {
            text.push_digits(nano, 9);
        }
    }
    text.push(b'Z');
    serializer.serialize_str(text.as_str())
}

pub fn optional_timestamp<S: Serializer>(value: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => timestamp(value, serializer),
        None => serializer.serialize_none(),
    }
}

pub fn date<S: Serializer>(value: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    let mut text = ShortText::new();
    if text.push_date(*value) {
        return serializer.serialize_str(text.as_str());
    }
    // Years outside 0–9999 (with a sign): chrono's serde writes a date as its Debug form.
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

    #[test]
    fn writes_what_chrono_writes_across_the_years_and_times_of_day() {
        // Days spread over every year chrono can hold, around the four-digit edges, each at a
        // time of day and with a fraction of its own, including leap seconds.
        let mut days: Vec<NaiveDate> =
            (0..4_000).map(|k| NaiveDate::from_num_days_from_ce_opt(-3_000 + k * 1_099).unwrap()).collect();
        for (year, month, day) in [(-1, 12, 31), (0, 1, 1), (0, 12, 31), (9999, 12, 31), (10000, 1, 1), (1, 1, 1)] {
            days.push(NaiveDate::from_ymd_opt(year, month, day).unwrap());
        }
        days.extend([NaiveDate::MIN, NaiveDate::MAX]);
        let fractions = [0, 7_000_000, 7_000, 7, 999_000_000, 999_999, 1_000_000_000, 1_999_999_999];
        for (k, on) in days.into_iter().enumerate() {
            let k = k as u32;
            let nano = fractions[k as usize % fractions.len()];
            let second = if nano >= 1_000_000_000 { 59 } else { k % 60 };
            let at = on.and_hms_nano_opt(k % 24, (k * 7) % 60, second, nano).unwrap().and_utc();
            let (fast, chrono) = both(at, on, !k.is_multiple_of(3));
            assert_eq!(fast, chrono, "{at:?}");
        }
    }
}
