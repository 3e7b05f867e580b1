//! The `X-Sdk-Date` header: `YYYYMMDDTHHMMSSZ` in UTC (the calendar: `crate::civil`).

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

use super::SignError;
use crate::civil;

/// Seconds from 1970-01-01T00:00:00Z to 0001-01-01T00:00:00Z and to 9999-12-31T23:59:59Z.
const MIN_SECS: i64 = -62_135_596_800;
const MAX_SECS: i64 = 253_402_300_799;

/// Formats a time as an `X-Sdk-Date`: UTC, `YYYYMMDDTHHMMSSZ`, seconds truncated.
///
/// Times outside the years 0001–9999 are clamped to that range (the gateway would reject
/// them anyway), so the result is always 16 characters.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// assert_eq!(hwcloud_auth::format_sdk_date(UNIX_EPOCH), "19700101T000000Z");
/// assert_eq!(
///     hwcloud_auth::format_sdk_date(UNIX_EPOCH + Duration::from_secs(1_709_208_000)),
///     "20240229T120000Z"
/// );
/// ```
pub fn format_sdk_date(t: SystemTime) -> String {
    format(t).as_str().to_owned()
}

/// A formatted `X-Sdk-Date`, held without allocating (the signer copies it once, into
/// the header).
pub(crate) struct SdkDate([u8; 16]);

impl SdkDate {
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_else(|_| unreachable!("digits, T and Z"))
    }
}

thread_local! {
    /// The last second formatted on this thread, and its text: a client signs its
    /// requests many times a second, and each of them needs the same date. (Per thread,
    /// so that signing shares nothing between threads; a signing function stays a pure
    /// function of its arguments.)
    static LAST: Cell<Option<(i64, [u8; 16])>> = const { Cell::new(None) };
}

pub(crate) fn format(t: SystemTime) -> SdkDate {
    let secs = unix_seconds(t).clamp(MIN_SECS, MAX_SECS);
    if let Some((_, text)) = LAST.get().filter(|&(last, _)| last == secs) {
        return SdkDate(text);
    }
    let date = format_seconds(secs);
    LAST.set(Some((secs, date.0)));
    date
}

/// The calendar's work: `secs` since the epoch, within the years 0001–9999.
fn format_seconds(secs: i64) -> SdkDate {
    let (date, second) = civil::utc(secs);
    // Digits written one by one: `format!` cost more than the calendar.
    let mut out = *b"0000mmddThhmmssZ";
    write_padded(&mut out[0..4], date.year());
    write_padded(&mut out[4..6], date.month());
    write_padded(&mut out[6..8], date.day());
    write_padded(&mut out[9..11], second / 3600);
    write_padded(&mut out[11..13], second / 60 % 60);
    write_padded(&mut out[13..15], second % 60);
    SdkDate(out)
}

/// Writes a non-negative `value` in decimal, zero-padded to fill `digits`.
fn write_padded(digits: &mut [u8], value: impl Into<i64>) {
    let mut value = value.into().unsigned_abs();
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Whole seconds since the epoch, rounded towards the past.
fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            let whole = whole.saturating_add(i64::from(d.subsec_nanos() > 0));
            whole.saturating_neg()
        }
    }
}

/// Validates an `X-Sdk-Date` value (strictly `YYYYMMDDTHHMMSSZ`, a real date and time
/// in the years 0001–9999).
pub(crate) fn check(value: &str) -> Result<&str, SignError> {
    let shape = value.len() == 16 && value.get(8..9) == Some("T") && value.get(15..) == Some("Z");
    let field = |range| value.get(range);
    let valid = shape
        && civil::instant(
            [
                field(0..4),
                field(4..6),
                field(6..8),
                field(9..11),
                field(11..13),
                field(13..15),
            ],
            0,
            0,
        )
        .is_some();
    if valid {
        Ok(value)
    } else {
        Err(SignError::InvalidSdkDate {
            value: shorten(value),
        })
    }
}

/// At most 40 characters of a value shown in an error.
pub(crate) fn shorten(value: &str) -> String {
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prop_assert_eq;
    use std::time::Duration;

    fn format(t: SystemTime) -> String {
        format_sdk_date(t)
    }

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    fn is_leap(year: u32) -> bool {
        year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
    }

    fn days_in_month(year: u32, month: u32) -> u32 {
        match month {
            4 | 6 | 9 | 11 => 30,
            2 if is_leap(year) => 29,
            2 => 28,
            _ => 31,
        }
    }

    #[test]
    fn dates() {
        for (secs, want) in [
            (0, "19700101T000000Z"),
            (1_573_788_615, "20191115T033015Z"),
            (1_704_067_199, "20231231T235959Z"), // end of year
            (1_704_067_200, "20240101T000000Z"),
            (1_709_164_800, "20240229T000000Z"), // leap day
            (1_709_251_199, "20240229T235959Z"),
            (1_709_251_200, "20240301T000000Z"),
            (951_782_400, "20000229T000000Z"), // 2000 is a leap year (÷400)
            (4_107_542_400, "21000301T000000Z"), // 2100 is not (÷100): Feb 28 → Mar 1
            (4_107_542_399, "21000228T235959Z"),
            (-1, "19691231T235959Z"),
            (-86_400 * 365, "19690101T000000Z"),
            (MIN_SECS, "00010101T000000Z"),
            (MAX_SECS, "99991231T235959Z"),
        ] {
            assert_eq!(format(at(secs)), want, "{secs}");
            assert!(check(want).is_ok(), "{want}");
        }
        // Sub-second parts are truncated; before the epoch, towards the past.
        assert_eq!(
            format(UNIX_EPOCH + Duration::from_millis(999)),
            "19700101T000000Z"
        );
        assert_eq!(
            format(UNIX_EPOCH - Duration::from_millis(1)),
            "19691231T235959Z"
        );
        // Clamped, never panicking.
        assert_eq!(format(at(MAX_SECS + 1)), "99991231T235959Z");
        assert_eq!(format(at(i64::MIN / 2)), "00010101T000000Z");
        if let Some(far) = UNIX_EPOCH.checked_add(Duration::from_secs(u64::MAX / 2)) {
            assert_eq!(format(far), "99991231T235959Z");
        }
    }

    #[test]
    fn the_cached_second_is_only_reused_within_that_second() {
        // Back and forth between two seconds, and within each: always the date of
        // the time given, never the one formatted just before.
        let second = at(1_709_208_000);
        for (t, want) in [
            (second, "20240229T120000Z"),
            (second + Duration::from_millis(999), "20240229T120000Z"),
            (second + Duration::from_secs(1), "20240229T120001Z"),
            (second + Duration::from_millis(1500), "20240229T120001Z"),
            (second - Duration::from_millis(1), "20240229T115959Z"),
            (second, "20240229T120000Z"),
            (at(MAX_SECS + 10), "99991231T235959Z"),
            (at(MAX_SECS), "99991231T235959Z"),
            (second, "20240229T120000Z"),
        ] {
            assert_eq!(format(t), want, "{t:?}");
        }
        // Another thread keeps its own.
        let other = std::thread::spawn(move || format(second + Duration::from_secs(60)));
        assert_eq!(other.join().unwrap(), "20240229T120100Z");
        assert_eq!(format(second), "20240229T120000Z");
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // Walk day by day from 1900 to 2300 and check against a naive calendar.
        let mut secs = -2_208_988_800i64; // 1900-01-01
        for year in 1900u32..2300 {
            for month in 1..=12 {
                for day in 1..=days_in_month(year, month) {
                    let s = format(at(secs + 3661));
                    assert_eq!(s, format!("{year:04}{month:02}{day:02}T010101Z"));
                    assert!(check(&s).is_ok(), "{s}");
                    secs += 86_400;
                }
            }
        }
    }

    proptest::proptest! {
        /// Every second of the years 0001–9999 is written as jiff writes it.
        #[test]
        fn the_date_is_written_as_jiff_writes_it(secs in MIN_SECS..=MAX_SECS) {
            // jiff's Timestamp stops a day short of 9999-12-31: its civil arithmetic.
            let epoch = jiff::civil::date(1970, 1, 1).at(0, 0, 0, 0);
            let jiff = epoch.checked_add(jiff::SignedDuration::from_secs(secs)).unwrap();
            prop_assert_eq!(format(at(secs)), jiff.strftime("%Y%m%dT%H%M%SZ").to_string());
        }

        /// A value of the right shape is valid when jiff's calendar says it is a date
        /// and time (and the year is not 0000).
        #[test]
        fn a_date_is_valid_when_jiff_says_so(
            year in 0i16..=9999,
            month in 0i8..=13,
            day in 0i8..=32,
            hour in 0i8..=25,
            minute in 0i8..=61,
            second in 0i8..=61,
        ) {
            let text = format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z");
            let valid =
                year >= 1 && jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).is_ok();
            prop_assert_eq!(check(&text).is_ok(), valid, "{}", text);
        }
    }

    #[test]
    fn date_validation() {
        for bad in [
            "",
            "20240102T030405",
            "20240102 030405Z",
            " 20240102T030405Z",
            "20240102T030405Z ",
            "2024012T030405ZZ",
            "20241302T030405Z",
            "20240002T030405Z",
            "20240230T030405Z",
            "20230229T030405Z",
            "20240100T030405Z",
            "20240102T240405Z",
            "20240102T036005Z",
            "20240102T030460Z",
            "00000102T030405Z",
            "2024010２T03040Z",
            "+2024102T030405Z",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
    }
}
