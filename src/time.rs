//! Instants as milliseconds since the Unix epoch, in UTC.
//!
//! The engine reads no clock (R13): every instant comes from the host or the
//! scenario. Parsing and formatting are hand-written (a few dozen lines) so
//! the wasm carries no date library.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// An instant, millisecond precision, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct Timestamp(#[cfg_attr(test, ts(type = "string"))] i64);

/// `2026-01-01T00:00:00Z`: the first event's time when nothing else says (SPEC "Default times").
pub const DEFAULT_START: Timestamp = Timestamp(1_767_225_600_000);

const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// A time the host passes in as milliseconds: a whole number from 1970-01-01T00:00:00Z to
    /// 9999-12-31T23:59:59.999Z. Anything else (negative, NaN, ±Infinity, fractions) is refused:
    /// a time outside that range would be written but could not be read back (`parse`).
    pub fn from_host_millis(ms: f64) -> Option<Self> {
        // `as` saturates; the range check runs on the float so 2^63 cannot wrap.
        (ms.fract() == 0.0 && (0.0..=MAX_MS as f64).contains(&ms)).then_some(Timestamp(ms as i64))
    }

    /// `self + seconds`, saturating at the representable range.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Timestamp(
            self.0
                .saturating_add(seconds.saturating_mul(1000))
                .min(MAX_MS),
        )
    }

    /// Parses ISO-8601 / RFC 3339: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff…]]`
    /// followed by `Z` or `±HH:MM`. A date alone means midnight UTC.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not an ISO-8601 UTC time such as 2026-01-05T09:00:00Z");
        let b = text.as_bytes();
        let digits = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            part.iter().try_fold(0i64, |acc, c| {
                c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
            })
        };
        let year = digits(0, 4).ok_or_else(bad)?;
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return Err(bad());
        }
        let month = digits(5, 2).ok_or_else(bad)?;
        let day = digits(8, 2).ok_or_else(bad)?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(bad());
        }
        let mut ms = days_from_civil(year, month, day) * MS_PER_DAY;
        if b.len() == 10 {
            return Ok(Timestamp(ms));
        }
        if !matches!(b.get(10), Some(b'T' | b't')) || b.get(13) != Some(&b':') {
            return Err(bad());
        }
        let hour = digits(11, 2).ok_or_else(bad)?;
        let minute = digits(14, 2).ok_or_else(bad)?;
        let mut i = 16;
        let mut second = 0;
        if b.get(i) == Some(&b':') {
            second = digits(17, 2).ok_or_else(bad)?;
            i = 19;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(bad());
        }
        ms += ((hour * 60 + minute) * 60 + second) * 1000;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            let mut frac_ms = 0;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                if i - start < 3 {
                    frac_ms = frac_ms * 10 + i64::from(c - b'0');
                }
                i += 1;
            }
            let n = i - start;
            if n == 0 || n > 9 {
                return Err(bad());
            }
            for _ in n..3 {
                frac_ms *= 10;
            }
            ms += frac_ms;
        }
        match b.get(i..) {
            Some(b"Z" | b"z") => {}
            Some([sign @ (b'+' | b'-'), ..]) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
                let oh = digits(i + 1, 2).ok_or_else(bad)?;
                let om = digits(i + 4, 2).ok_or_else(bad)?;
                if oh > 23 || om > 59 {
                    return Err(bad());
                }
                let offset = (oh * 60 + om) * 60_000;
                ms += if *sign == b'+' { -offset } else { offset };
            }
            _ => return Err(bad()),
        }
        if !(0..=MAX_MS).contains(&ms) {
            return Err(bad());
        }
        Ok(Timestamp(ms))
    }
}

/// 9999-12-31T23:59:59.999Z: the last instant with a four-digit year.
pub const MAX_MS: i64 = 253_402_300_799_999;

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ`, with `.mmm` only when the milliseconds are not zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(MS_PER_DAY);
        let in_day = self.0.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let (secs, ms) = (in_day / 1000, in_day % 1000);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_start_is_2026() {
        assert_eq!(DEFAULT_START.to_string(), "2026-01-01T00:00:00Z");
        assert_eq!(Timestamp::parse("2026-01-01T00:00:00Z"), Ok(DEFAULT_START));
    }

    #[test]
    fn round_trips_and_offsets() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59.123Z",
            "9999-12-31T23:59:59.999Z",
        ] {
            assert_eq!(
                Timestamp::parse(text).map(|t| t.to_string()),
                Ok(text.to_string())
            );
        }
        assert_eq!(
            Timestamp::parse("2026-01-05T10:30:00+01:30").map(|t| t.to_string()),
            Ok("2026-01-05T09:00:00Z".into())
        );
        assert_eq!(
            Timestamp::parse("2026-01-05").map(|t| t.to_string()),
            Ok("2026-01-05T00:00:00Z".into())
        );
        assert_eq!(
            Timestamp::parse("2026-01-05T09:00Z").map(|t| t.to_string()),
            Ok("2026-01-05T09:00:00Z".into())
        );
        assert_eq!(
            Timestamp::parse("2026-01-05T09:00:00.5Z").map(|t| t.to_string()),
            Ok("2026-01-05T09:00:00.500Z".into())
        );
    }

    #[test]
    fn rejects_malformed() {
        for text in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-30",
            "2026-01-05T24:00:00Z",
            "2026-01-05T09:00:00",
            "2026-01-05 09:00:00Z",
            "2026-01-05T09:00:00.Z",
            "2026-01-05T09:00:00+0100",
            "yesterday",
            "2026-01-05T09:00:00Zjunk",
            "٢٠٢٦-01-05",
            "1969-12-31T23:59:59Z",
        ] {
            assert!(Timestamp::parse(text).is_err(), "{text} should be refused");
        }
    }

    #[test]
    fn host_millis_outside_1970_to_9999_are_refused() {
        assert_eq!(Timestamp::from_host_millis(0.0), Some(Timestamp(0)));
        assert_eq!(
            Timestamp::from_host_millis(MAX_MS as f64),
            Some(Timestamp(MAX_MS))
        );
        for bad in [
            -1.0,
            -0.5,
            0.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            MAX_MS as f64 + 1.0,
            9.3e18,
            -9.3e18,
        ] {
            assert_eq!(Timestamp::from_host_millis(bad), None, "{bad}");
        }
        // Every accepted time reads back (the store would be unreadable otherwise).
        let last = Timestamp::from_host_millis(MAX_MS as f64).expect("in range");
        assert_eq!(Timestamp::parse(&last.to_string()), Ok(last));
    }

    #[test]
    fn civil_conversion_agrees_across_400_years() {
        for days in (-1000..200_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
