//! How many points each test is worth: one by default, or what the teacher's
//! TOML file says.
//!
//! ```toml
//! # test name = points; "target::test name" when two targets share a name
//! a_json_request_gets_a_json_sum = 2
//! "robustness::many_clients_are_served_at_once" = 3
//! ```

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;

/// Points per test.
#[derive(Debug, Clone, Default)]
pub struct Points {
    weights: BTreeMap<String, f64>,
}

impl Points {
    /// One point per test.
    pub fn one_each() -> Self {
        Points::default()
    }

    /// The weights of a TOML file (`name = points`).
    pub fn parse(text: &str) -> Result<Self> {
        let table: toml::Table = text.parse().context("the points file is not valid TOML")?;
        let mut weights = BTreeMap::new();
        for (name, value) in table {
            let points = match value {
                toml::Value::Integer(i) => i as f64,
                toml::Value::Float(f) => f,
                other => bail!(
                    "the points of {name:?} must be a number, not {}",
                    other.type_str()
                ),
            };
            if !points.is_finite() || points < 0.0 {
                bail!("the points of {name:?} must be zero or more, not {points}");
            }
            weights.insert(name, points);
        }
        Ok(Points { weights })
    }

    /// The weights of the TOML file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Points::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// What test `test` of target `target` is worth.
    pub fn of(&self, target: &str, test: &str) -> f64 {
        self.weights
            .get(&format!("{target}::{test}"))
            .or_else(|| self.weights.get(test))
            .copied()
            .unwrap_or(1.0)
    }

    /// Names in the file that match no test (a typo would silently weigh
    /// nothing), given every `(target, test)` pair.
    pub fn unknown<'a>(&'a self, tests: &[(String, String)]) -> Vec<&'a str> {
        self.weights
            .keys()
            .filter(|key| {
                !tests
                    .iter()
                    .any(|(target, test)| *key == test || **key == format!("{target}::{test}"))
            })
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_is_worth_its_weight_or_one() {
        let points = Points::parse("sums = 2\n\"robustness::garbage\" = 0.5\n").expect("valid");
        assert_eq!(points.of("adder", "sums"), 2.0);
        assert_eq!(points.of("robustness", "garbage"), 0.5);
        assert_eq!(points.of("other", "garbage"), 1.0);
        assert_eq!(points.of("adder", "other"), 1.0);
    }

    #[test]
    fn a_weight_that_is_not_a_number_is_refused() {
        let error = Points::parse("sums = \"two\"").expect_err("refused");
        assert_eq!(
            error.to_string(),
            "the points of \"sums\" must be a number, not string"
        );
    }

    #[test]
    fn names_that_match_no_test_are_found() {
        let points = Points::parse("sums = 2\ntypo = 1\n").expect("valid");
        let tests = [("adder".to_owned(), "sums".to_owned())];
        assert_eq!(points.unknown(&tests), ["typo"]);
    }
}
