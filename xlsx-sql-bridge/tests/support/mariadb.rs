//! A real MariaDB server of the test's own: `common::testing::databases::mariadb`, and
//! how its answers compare with the workbook's model.

#[allow(unused_imports)] // not every test file needs all of it
pub use common::testing::databases::mariadb::*;

/// True if the value MariaDB returned is the expected cell. `BOOLEAN` is
/// `TINYINT(1)`, so booleans come back as 1 and 0; in a text column, a
/// number comes back as the text MySQL made of its literal.
pub fn db_matches(got: &serde_json::Value, want: &super::fixtures::Expect) -> bool {
    use super::fixtures::Expect;
    match want {
        Expect::Null => got.is_null(),
        Expect::Int(i) => got.as_i64() == Some(*i) || got.as_f64() == Some(*i as f64),
        Expect::Float(f) => got.as_f64() == Some(*f),
        Expect::Text(s) | Expect::DateTime(s) | Expect::Time(s) => got.as_str() == Some(s.as_str()),
        Expect::Bool(b) => got.as_i64() == Some(i64::from(*b)),
    }
}
