//! The script read back by an independent parser: `sqlparser`'s MySQL
//! dialect (its PostgreSQL or SQLite dialect for those scripts). A script
//! it cannot parse, or whose literals do not unescape to the workbook's
//! values, fails the test.

use super::fixtures::Expect;
use sqlparser::ast::{
    BinaryOperator, Expr, ObjectName, ObjectNamePart, SetExpr, Statement, UnaryOperator, Value,
};
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

/// A literal of an `INSERT`, as the parser read it.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    /// A number as written (`15`, `3.0`, `-2.5e-7`).
    Number(String),
    /// A string, unescaped.
    Text(String),
    Bool(bool),
}

/// Parse a whole script; fails the test if the MySQL dialect refuses it.
#[track_caller]
pub fn parse(script: &str) -> Vec<Statement> {
    parse_in("mysql", script)
}

/// Parse a whole script with sqlparser's dialect for `dialect` (`mysql`,
/// `postgres` or `sqlite`, as `--dialect` names them); fails the test if
/// that dialect refuses it.
#[track_caller]
pub fn parse_in(dialect: &str, script: &str) -> Vec<Statement> {
    let parsed = match dialect {
        "mysql" => Parser::parse_sql(&MySqlDialect {}, script),
        "postgres" => Parser::parse_sql(&PostgreSqlDialect {}, script),
        "sqlite" => Parser::parse_sql(&SQLiteDialect {}, script),
        other => panic!("no sqlparser dialect for {other:?}"),
    };
    parsed.unwrap_or_else(|e| {
        panic!("sqlparser's {dialect} dialect refuses the script: {e}\n{script}")
    })
}

fn name(object: &ObjectName) -> String {
    object
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => ident.value.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Every row inserted into `table`, in order, with the column names of the
/// statements (all statements of a table must name the same columns).
#[track_caller]
pub fn rows_of(statements: &[Statement], table: &str) -> (Vec<String>, Vec<Vec<Lit>>) {
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for statement in statements {
        let Statement::Insert(insert) = statement else {
            continue;
        };
        let sqlparser::ast::TableObject::TableName(target) = &insert.table else {
            panic!("an INSERT into something that is not a table: {statement}");
        };
        if name(target) != table {
            continue;
        }
        let these: Vec<String> = insert.columns.iter().map(name).collect();
        match &columns {
            None => columns = Some(these),
            Some(seen) => assert_eq!(
                seen, &these,
                "two INSERTs into {table} name different columns"
            ),
        }
        let source = insert.source.as_ref().expect("INSERT ... VALUES");
        let SetExpr::Values(values) = &*source.body else {
            panic!("an INSERT without VALUES: {statement}");
        };
        for row in &values.rows {
            rows.push(row.content.iter().map(literal).collect());
        }
    }
    (
        columns.unwrap_or_else(|| panic!("no INSERT into {table}")),
        rows,
    )
}

#[track_caller]
fn literal(expr: &Expr) -> Lit {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::Null => Lit::Null,
            Value::Number(n, _) => Lit::Number(n.to_string()),
            Value::SingleQuotedString(s) => Lit::Text(s.clone()),
            Value::Boolean(b) => Lit::Bool(*b),
            other => panic!("an unexpected literal: {other:?}"),
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match literal(expr) {
            Lit::Number(n) => Lit::Number(format!("-{n}")),
            other => panic!("a minus before {other:?}"),
        },
        // SQLite's way to write a NUL: `'a' || char(0) || 'b'`.
        Expr::BinaryOp {
            left,
            op: BinaryOperator::StringConcat,
            right,
        } => match (literal(left), literal(right)) {
            (Lit::Text(l), Lit::Text(r)) => Lit::Text(l + &r),
            (l, r) => panic!("|| between {l:?} and {r:?}"),
        },
        Expr::Function(f) if f.to_string() == "char(0)" => Lit::Text("\0".to_owned()),
        other => panic!("an INSERT value that is not a literal: {other}"),
    }
}

/// The tables a script creates: name, and (column, type) pairs.
pub fn created(statements: &[Statement]) -> Vec<(String, Vec<(String, String)>)> {
    statements
        .iter()
        .filter_map(|s| match s {
            Statement::CreateTable(create) => Some((
                name(&create.name),
                create
                    .columns
                    .iter()
                    .map(|c| (c.name.value.clone(), c.data_type.to_string()))
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

/// True if the literal is the expected value, printed as the script's rules
/// say (`decimal`: the column prints every number as a decimal).
pub fn matches(lit: &Lit, expected: &Expect, decimal: bool) -> bool {
    match (lit, expected) {
        (Lit::Null, Expect::Null) => true,
        (Lit::Number(s), Expect::Int(i)) => {
            if decimal {
                *s == format!("{i}.0")
            } else {
                *s == i.to_string()
            }
        }
        (Lit::Number(s), Expect::Float(f)) => {
            (s.contains('.') || s.contains('e')) && s.parse::<f64>().ok() == Some(*f)
        }
        (Lit::Text(s), Expect::Text(e) | Expect::DateTime(e) | Expect::Time(e)) => s == e,
        (Lit::Bool(b), Expect::Bool(e)) => b == e,
        _ => false,
    }
}

/// Check every row of `table` against the model sheet, cell by cell.
#[track_caller]
pub fn assert_rows_match(statements: &[Statement], table: &str, sheet: &super::fixtures::Sheet) {
    let (_, rows) = rows_of(statements, table);
    let expected_rows = sheet.data_rows();
    assert_eq!(rows.len(), expected_rows.len(), "rows of {table}");
    let width = sheet.header.len();
    for col in 0..width {
        let decimal = super::fixtures::decimal_column(&sheet.column(col));
        for (r, (got, want)) in rows.iter().zip(&expected_rows).enumerate() {
            let want =
                super::fixtures::expect(want.get(col).unwrap_or(&super::fixtures::Cell::Empty));
            assert!(
                matches(&got[col], &want, decimal),
                "{table} row {} column {}: the script says {:?}, the workbook {:?}",
                r + 1,
                col + 1,
                got[col],
                want
            );
        }
    }
}
