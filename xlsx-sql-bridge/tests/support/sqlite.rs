//! SQLite databases of the test's own: `common::testing::databases::sqlite`, and
//! how its answers compare with the workbook's model.

#[allow(unused_imports)] // not every test file needs all of it
pub use common::testing::databases::sqlite::*;
