//! Civil dates and times, for `X-Sdk-Date` and the credential documents' expiry. The
//! calendar is `jiff-core`'s: jiff's own civil-time core, without jiff's parsers, printers
//! and time zones, which these two fixed layouts do not need (a dependant's cold build
//! compiled jiff 3.4 s longer; `cargo build --timings`). What is left here is reading
//! the layouts' digits; the property tests of `signer::sdk_date` and
//! `credentials::document` check both layouts against jiff's own printer and parser.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff_core::civil::{self, Date, Time, UnixEpochDay};

/// The instant written as six decimal fields (year, month, day, hour, minute, second) of
/// a civil date and time `offset` seconds east of UTC, plus `nanos`. Each field is ASCII
/// digits only (no sign, no space); `None` unless they name a real date and time in the
/// years 0001–9999.
pub(crate) fn instant(fields: [Option<&str>; 6], offset: i32, nanos: u32) -> Option<SystemTime> {
    let mut numbers = [0i16; 6];
    for (number, digits) in numbers.iter_mut().zip(fields) {
        let digits = digits.filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))?;
        *number = digits.parse().ok()?;
    }
    let [year, rest @ ..] = numbers;
    let [month, day, hour, minute, second] = rest.map(|n| i8::try_from(n).unwrap_or(i8::MAX));
    if year < 1 || nanos >= 1_000_000_000 {
        return None;
    }
    let date = Date::new(year, month, day).ok()?;
    Time::new(hour, minute, second, 0).ok()?;
    let secs = i64::from(date.to_unix_epoch_day().day()) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
        - i64::from(offset);
    let whole = if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    };
    whole?.checked_add(Duration::from_nanos(nanos.into()))
}

/// The UTC civil date `secs` seconds after 1970-01-01T00:00:00Z, and the second of
/// that day. Callers clamp `secs` to the years they write; outside jiff's wider range
/// (±9999 years), the epoch's date.
pub(crate) fn utc(secs: i64) -> (Date, i64) {
    let date = i32::try_from(secs.div_euclid(86_400))
        .ok()
        .and_then(|days| UnixEpochDay::new(days).ok())
        .map_or(civil::date(1970, 1, 1), UnixEpochDay::to_date);
    (date, secs.rem_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> [Option<&str>; 6] {
        let mut parts = text.split(' ');
        std::array::from_fn(|_| parts.next())
    }

    fn secs(secs: i64) -> Option<SystemTime> {
        Some(if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        })
    }

    #[test]
    fn real_dates_and_times_only() {
        let utc = |text| instant(fields(text), 0, 0);
        assert_eq!(utc("2024 01 02 03 04 05"), secs(1_704_164_645));
        assert_eq!(utc("2024 02 29 00 00 00"), secs(1_709_164_800));
        assert_eq!(utc("1970 01 01 00 00 00"), secs(0));
        assert_eq!(utc("1969 12 31 23 59 59"), secs(-1));
        assert_eq!(utc("0001 01 01 00 00 00"), secs(-62_135_596_800));
        assert_eq!(utc("9999 12 31 23 59 59"), secs(253_402_300_799));
        for bad in [
            "2023 02 29 00 00 00",
            "2024 13 01 00 00 00",
            "2024 00 01 00 00 00",
            "2024 01 00 00 00 00",
            "2024 01 01 24 00 00",
            "2024 01 01 00 60 00",
            "2024 01 01 00 00 60",
            "0000 01 01 00 00 00",
            "2024 01 01 00 00 +1",
            "2024 01 01 00 00 ",
            "2024 01 01 00 00",
        ] {
            assert_eq!(utc(bad), None, "{bad:?}");
        }
        // East of UTC is earlier; the nanoseconds add.
        let at = fields("2024 01 02 11 04 05");
        assert_eq!(instant(at, 8 * 3600, 0), secs(1_704_164_645));
        assert_eq!(
            instant(fields("2024 01 02 03 04 05"), 0, 500_000_000),
            Some(UNIX_EPOCH + Duration::from_millis(1_704_164_645_500))
        );
        assert_eq!(instant(at, 0, 1_000_000_000), None);
    }

    #[test]
    fn utc_names_the_date_and_second_of_the_day() {
        let parts = |secs| {
            let (date, second) = utc(secs);
            ((date.year(), date.month(), date.day()), second)
        };
        assert_eq!(parts(1_709_208_000), ((2024, 2, 29), 12 * 3600));
        assert_eq!(parts(-1), ((1969, 12, 31), 86_399));
        assert_eq!(parts(253_402_300_799), ((9999, 12, 31), 86_399));
        assert_eq!(parts(-62_135_596_800), ((1, 1, 1), 0));
    }
}
