//! A real PostgreSQL server of the test's own: `common::testing::databases::postgres`, and
//! how its answers compare with the workbook's model.

#[allow(unused_imports)] // not every test file needs all of it
pub use common::testing::databases::postgres::*;

/// True if PostgreSQL's JSON for a value is the expected cell: a timestamp
/// comes back as ISO 8601 (`2024-03-01T00:00:00`), a boolean as `true`.
pub fn pg_matches(got: &serde_json::Value, want: &super::fixtures::Expect) -> bool {
    use super::fixtures::Expect;
    match want {
        Expect::DateTime(s) => got.as_str() == Some(s.replacen(' ', "T", 1).as_str()),
        Expect::Bool(b) => got.as_bool() == Some(*b),
        other => super::mariadb::db_matches(got, other),
    }
}
