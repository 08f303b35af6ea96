//! `common::number` against Python's `decimal`: every operation, on numbers
//! of up to 60 significant digits with exponents within ±400.

use common::number::{Number, Operation};
use common::testing::reference::{Reference, base_text, exponent_text, number_text};
use proptest::prelude::*;
use std::cell::RefCell;

thread_local! {
    static REFERENCE: RefCell<Option<Reference>> = const { RefCell::new(None) };
}

fn check(op: Operation, a: &str, b: &str) -> Result<(), TestCaseError> {
    let (x, y): (Number, Number) = (
        a.parse()
            .map_err(|e| TestCaseError::fail(format!("{a}: {e}")))?,
        b.parse()
            .map_err(|e| TestCaseError::fail(format!("{b}: {e}")))?,
    );
    let answer = op.apply(&x, &y);
    let shown = answer
        .as_ref()
        .map(ToString::to_string)
        .map_err(ToString::to_string);
    REFERENCE.with_borrow_mut(|reference| {
        reference
            .get_or_insert_with(Reference::start)
            .check(op, a, b, shown.as_deref().map_err(String::as_str))
            .map_err(TestCaseError::fail)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn sums_match_python(a in number_text(), b in number_text()) {
        check(Operation::Add, &a, &b)?;
    }

    #[test]
    fn differences_match_python(a in number_text(), b in number_text()) {
        check(Operation::Sub, &a, &b)?;
    }

    #[test]
    fn products_match_python(a in number_text(), b in number_text()) {
        check(Operation::Mul, &a, &b)?;
    }

    #[test]
    fn quotients_match_python(a in number_text(), b in number_text()) {
        check(Operation::Div, &a, &b)?;
    }

    #[test]
    fn powers_match_python(a in base_text(), b in exponent_text()) {
        check(Operation::Pow, &a, &b)?;
    }
}

#[test]
fn the_listed_cases_match_python() {
    for (op, a, b) in [
        (Operation::Add, "1e28", "0.1"),
        (Operation::Add, "9999999999999999999999999999", "0.5"),
        (Operation::Sub, "1e28", "0.1"),
        (Operation::Add, "10", "1e-28"),
        (Operation::Sub, "1e20", "1e-20"),
        (Operation::Div, "1e-28", "1e28"),
        (Operation::Div, "1e-28", "3"),
        (Operation::Mul, "1.5", "1e-28"),
        (Operation::Add, "1e308", "1e308"),
        (Operation::Pow, "10", "-30.5"),
        (Operation::Pow, "2", "-100"),
        (Operation::Pow, "0.5", "99"),
        (Operation::Div, "2", "3"),
        (Operation::Div, "1", "0"),
        (Operation::Pow, "-8", "0.5"),
        // 1668754529467071.25 as a double: two 17-digit texts are equally
        // near it, and Python writes the even one (found by proptest).
        (Operation::Pow, "65005e-5", "-81.38"),
    ] {
        check(op, a, b).unwrap_or_else(|e| panic!("{e}"));
    }
}
