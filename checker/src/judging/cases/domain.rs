//! What an argument or a variable may be, declared once per exercise: its bad-input cases are
//! drawn from the declaration, and labs.md states it in the same words (a test holds the two
//! together).

use super::random_word;
use rand::RngExt;
use rand::rngs::StdRng;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Domain {
    /// A whole number from `min` to `max`.
    Whole { min: i64, max: i64 },
    /// A finite number: at least 0, or above 0.
    Finite { zero_allowed: bool },
}

impl Domain {
    /// The domain as labs.md and the stubs say it.
    pub fn words(self) -> String {
        match self {
            Domain::Whole { min, max } => format!("a whole number from {min} to {max}"),
            Domain::Finite { zero_allowed: true } => "a finite number of at least 0".into(),
            Domain::Finite {
                zero_allowed: false,
            } => "a finite number above 0".into(),
        }
    }

    /// Values a program must refuse: malformed ones (a word drawn afresh, an empty string,
    /// NaN, a negative number, a hexadecimal one) and those
    /// just outside the domain, where an off-by-one or a forgotten check lets them through
    /// (0 or inf for a positive number, 1e400, which parses as infinity, max + 1, a fraction,
    /// a number too long for any integer type). Neither `+1` nor ` 1` is among them: Rust's
    /// `parse` reads the first as 1, and a program may trim a value before it parses it.
    pub fn outside(self, rng: &mut StdRng) -> Vec<String> {
        let word_len = rng.random_range(1..=6);
        let mut bad = vec![
            random_word(rng, word_len),
            String::new(),
            "NaN".into(),
            format!("-{}", rng.random_range(1..=1000)),
            "0x10".into(),
        ];
        match self {
            Domain::Whole { min, max } => {
                bad.extend([
                    (min - 1).to_string(),
                    (max + 1).to_string(),
                    "1.5".into(),
                    "123456789012345678901234567890".into(),
                ]);
            }
            Domain::Finite { zero_allowed } => {
                bad.extend(["inf".into(), "-inf".into(), "1e400".into()]);
                if !zero_allowed {
                    bad.extend(["0".into(), "-0".into()]);
                }
            }
        }
        bad
    }

    /// Whether `text` lies in the domain, read the way Rust's `parse` reads it.
    #[cfg(test)]
    pub fn holds(self, text: &str) -> bool {
        match self {
            Domain::Whole { min, max } => {
                text.parse::<i64>().is_ok_and(|n| (min..=max).contains(&n))
            }
            Domain::Finite { zero_allowed } => text
                .parse::<f64>()
                .is_ok_and(|x| x.is_finite() && (x > 0.0 || (zero_allowed && x == 0.0))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_value_drawn_outside_a_domain_lies_outside_it() {
        let domains = [
            Domain::Whole { min: 1, max: 4 },
            Domain::Whole {
                min: 1,
                max: 2147483647,
            },
            Domain::Finite { zero_allowed: true },
            Domain::Finite {
                zero_allowed: false,
            },
        ];
        for seed in 0..50 {
            let mut rng = StdRng::seed_from_u64(seed);
            for domain in domains {
                for value in domain.outside(&mut rng) {
                    assert!(!domain.holds(&value), "{value:?} lies in {domain:?}");
                }
            }
        }
        assert!(Domain::Finite { zero_allowed: true }.holds("0"));
        assert!(Domain::Whole { min: 1, max: 4 }.holds("+1"));
        assert!(Domain::Whole { min: 1, max: 4 }.holds("4"));
    }
}
