//! Names an adoption makes from others' (a policy's, an object's): kept as
//! they are when they fit, else a readable prefix and a stable hash of the
//! whole, so two long names never collide. Pure.

use sha2::{Digest, Sha256};

/// `full` if at most `max` characters, else its first ones, `-` and 8 hex
/// digits of its SHA-256.
pub fn fit(full: &str, max: usize) -> String {
    if full.len() <= max {
        return full.to_string();
    }
    let hash = format!("{:x}", Sha256::digest(full.as_bytes()));
    let keep = full.char_indices().map(|(i, _)| i).take_while(|i| *i <= max - 9).last().unwrap_or(0);
    format!("{}-{}", full[..keep].trim_end_matches(['-', '.']), &hash[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_stay_and_long_ones_fit_without_colliding() {
        assert_eq!(fit("promotepolicy-default-web", 63), "promotepolicy-default-web");
        let (a, b) = (fit(&"a".repeat(100), 63), fit(&format!("{}b", "a".repeat(99)), 63));
        assert!(a.len() <= 63 && b.len() <= 63, "{a} {b}");
        assert_ne!(a, b);
        assert_eq!(a, fit(&"a".repeat(100), 63), "stable");
    }
}
