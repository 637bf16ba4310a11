//! UTC timestamps without a calendar crate: nanoseconds since the Unix epoch to and from
//! RFC 3339 (`2026-01-31T23:59:59.123456789Z`), proleptic Gregorian, via day counts.

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

/// Splits into (date `YYYY-MM-DD`, time `HH:MM:SS`, nanoseconds).
pub fn split(ns: i64) -> (String, String, u32) {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = u32::try_from(ns.rem_euclid(1_000_000_000)).unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", sod / 3600, (sod / 60) % 60, sod % 60),
        frac,
    )
}

/// RFC 3339 in UTC with milliseconds (FHIR `instant` needs seconds; milliseconds suffice).
pub fn rfc3339(ns: i64) -> String {
    let (date, time, frac) = split(ns);
    format!("{date}T{time}.{:03}Z", frac / 1_000_000)
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.fff]Z` (UTC only).
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
        None => (s, None),
    };
    let mut dp = date.splitn(3, '-');
    let y: i64 = dp.next()?.parse().ok()?;
    let m: u32 = dp.next()?.parse().ok()?;
    let d: u32 = dp.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ns = days_from_civil(y, m, d).checked_mul(86_400_000_000_000)?;
    if let Some(t) = time {
        let (hms, frac) = match t.split_once('.') {
            Some((a, b)) => (a, Some(b)),
            None => (t, None),
        };
        let mut tp = hms.splitn(3, ':');
        let h: i64 = tp.next()?.parse().ok()?;
        let mi: i64 = tp.next()?.parse().ok()?;
        let se: i64 = tp.next()?.parse().ok()?;
        if h > 23 || mi > 59 || se > 60 {
            return None;
        }
        ns = ns.checked_add((h * 3600 + mi * 60 + se) * 1_000_000_000)?;
        if let Some(f) = frac {
            if f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let v: i64 = f.parse().ok()?;
            ns = ns.checked_add(v * 10i64.pow(9 - u32::try_from(f.len()).ok()?))?;
        }
    }
    Some(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2000-03-01 is day 11017 after the epoch (a leap-year boundary case).
        assert_eq!(parse("2000-03-01"), Some(11_017 * 86_400_000_000_000));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 1234567890 s is 2009-02-13T23:31:30Z (the well-known Unix time).
        assert_eq!(
            rfc3339(1_234_567_890_000_000_000),
            "2009-02-13T23:31:30.000Z"
        );
        assert_eq!(
            parse("2009-02-13T23:31:30Z"),
            Some(1_234_567_890_000_000_000)
        );
        assert_eq!(rfc3339(-1_000_000), "1969-12-31T23:59:59.999Z");
    }

    proptest::proptest! {
        #[test]
        fn round_trip(ms in -9_000_000_000_000i64..9_000_000_000_000) {
            let ns = ms * 1_000_000;
            proptest::prop_assert_eq!(parse(&rfc3339(ns)), Some(ns));
        }
    }
}
