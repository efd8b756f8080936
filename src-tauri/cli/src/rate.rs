//! Speeds as people type and read them: `500K`, `2M`, `1.5MB/s`, `none`. Units are decimal, as
//! network speeds are: K is 1,000 bytes, M 1,000,000, G 1,000,000,000; `Ki`, `Mi` and `Gi` are
//! 1,024, 1,024² and 1,024³. A bare number is bytes per second; `B`, `/s` and spaces are
//! optional.

/// What a speed limit may be written as, for help texts and errors.
pub const RATE_HELP: &str = "bytes per second with an optional unit, such as 500K, 2M or \
1.5MB/s (K = 1,000 bytes, Ki = 1,024)";

/// Reads a speed in bytes per second.
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let without_per_second = trimmed
        .strip_suffix("/s")
        .or_else(|| trimmed.strip_suffix("/S"))
        .unwrap_or(trimmed);
    parse_size::parse_size(without_per_second)
        .map_err(|_| format!("'{text}' is not a speed; write {RATE_HELP}"))
}

/// A speed limit as typed: bytes per second, or `None` for `none` (no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(pub Option<u64>);

/// Reads a speed limit: a speed, or `none` for no limit.
pub fn parse_limit(text: &str) -> Result<Limit, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    parse_rate(text)
        .map(|rate| Limit(Some(rate)))
        .map_err(|error| format!("{error}, or none to lift the limit"))
}

/// A speed for people: `2 MB/s`, `1.5 MB/s`, `500 KB/s`, `999 B/s` (decimal units, at most
/// two decimals).
pub fn format_rate(bytes_per_second: u64) -> String {
    const UNITS: [(u64, &str); 3] = [
        (1_000_000_000, "GB/s"),
        (1_000_000, "MB/s"),
        (1_000, "KB/s"),
    ];
    for (size, unit) in UNITS {
        if bytes_per_second >= size {
            let value = bytes_per_second as f64 / size as f64;
            let text = format!("{value:.2}");
            let text = text.trim_end_matches('0').trim_end_matches('.');
            return format!("{text} {unit}");
        }
    }
    format!("{bytes_per_second} B/s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_write_speeds_with_decimal_units_and_an_optional_per_second() {
        assert_eq!(parse_rate("500K"), Ok(500_000));
        assert_eq!(parse_rate("2M"), Ok(2_000_000));
        assert_eq!(parse_rate("1.5MB/s"), Ok(1_500_000));
        assert_eq!(parse_rate("1.5 mb/s"), Ok(1_500_000));
        assert_eq!(parse_rate("64KiB/s"), Ok(65_536));
        assert_eq!(parse_rate("12000"), Ok(12_000));
    }

    #[test]
    fn none_lifts_a_limit_and_nonsense_says_what_to_write() {
        assert_eq!(parse_limit("none"), Ok(Limit(None)));
        assert_eq!(parse_limit("NONE"), Ok(Limit(None)));
        assert_eq!(parse_limit("2M"), Ok(Limit(Some(2_000_000))));
        let error = parse_limit("5 parsecs").unwrap_err();
        assert!(error.contains("'5 parsecs' is not a speed"), "{error}");
        assert!(error.contains("500K"), "{error}");
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("").is_err());
    }

    #[test]
    fn speeds_read_in_the_largest_unit_that_fits() {
        assert_eq!(format_rate(2_000_000), "2 MB/s");
        assert_eq!(format_rate(1_500_000), "1.5 MB/s");
        assert_eq!(format_rate(500_000), "500 KB/s");
        assert_eq!(format_rate(65_536), "65.54 KB/s");
        assert_eq!(format_rate(999), "999 B/s");
    }
}
