//! Kubernetes resource quantities ("250m", "2", "8Gi", "1e3"), parsed into
//! base units (cores, bytes) and formatted the way KubeFleet reports them
//! (CPU in millicores, memory in Ki). Cluster property values are quantities
//! too, so the scheduler compares them with the same parser. Pure.

/// The value of `q` in base units, or `None` if it is not a quantity.
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-')).unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let mut value: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().ok()?;
            value *= 10f64.powi(exp);
            1.0
        }
        _ => return None,
    };
    Some(value * scale)
}

/// CPU cores as millicores: "1848m".
pub fn cpu(cores: f64) -> String {
    format!("{}m", (cores * 1000.0).round().max(0.0) as i64)
}

/// Bytes as kibibytes: "10318332Ki".
pub fn memory(bytes: f64) -> String {
    format!("{}Ki", (bytes / 1024.0).floor().max(0.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_binary_and_exponent_forms() {
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("250m"), Some(0.25));
        assert_eq!(parse("1.5"), Some(1.5));
        assert_eq!(parse("8Gi"), Some(8.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("10318332Ki"), Some(10318332.0 * 1024.0));
        assert_eq!(parse("1k"), Some(1000.0));
        assert_eq!(parse("1M"), Some(1e6));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("1E"), Some(1e18), "E alone is exa");
        assert_eq!(parse("500u"), Some(0.0005));
    }

    #[test]
    fn refuses_what_is_not_a_quantity() {
        for bad in ["", "Gi", "1Gb", "x", "1.2.3", "1eX"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_as_kubefleet_shows() {
        assert_eq!(cpu(1.848), "1848m");
        assert_eq!(cpu(4.0), "4000m");
        assert_eq!(memory(10318332.0 * 1024.0), "10318332Ki");
        assert_eq!(memory(-5.0), "0Ki", "never negative");
    }
}
