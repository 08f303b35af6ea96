//! The client's console: numbers typed at a prompt or read from a pipe.
//!
//! The slide's client asks `1º número: ` and `2º número: ` and calls the
//! server with the pair. From a pipe there is no one to ask: the numbers are
//! read as whitespace-separated words and taken two by two, so
//! `printf '15 10\n3 4\n'` and `printf '15\n10\n'` both work.

use common::number::Number;

/// The prompt for the first number of a pair, as in the slide.
pub const FIRST_PROMPT: &str = "1º número: ";
/// The prompt for the second number.
pub const SECOND_PROMPT: &str = "2º número: ";

/// Numbers read a line at a time, paired two by two.
#[derive(Debug, Default)]
pub struct Pairs {
    first: Option<Number>,
    line: usize,
}

impl Pairs {
    /// No numbers read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The prompt for the next number.
    pub fn prompt(&self) -> &'static str {
        if self.first.is_some() {
            SECOND_PROMPT
        } else {
            FIRST_PROMPT
        }
    }

    /// Read one line: the pairs it completes, and an error for each word
    /// that is not a number (those words are skipped).
    pub fn feed(&mut self, line: &str) -> Vec<Result<(Number, Number), String>> {
        self.line += 1;
        let mut out = Vec::new();
        for word in line.split_whitespace() {
            match word.parse::<Number>() {
                Ok(n) => match self.first.take() {
                    Some(a) => out.push(Ok((a, n))),
                    None => self.first = Some(n),
                },
                Err(e) => out.push(Err(format!("line {}: {e}", self.line))),
            }
        }
        out
    }

    /// The end of the input: an error if a number is left without its pair.
    pub fn finish(self) -> Result<(), String> {
        match self.first {
            Some(n) => Err(format!("the number {n} has no pair (the input ended)")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: Vec<Result<(Number, Number), String>>) -> Vec<String> {
        p.into_iter()
            .map(|r| match r {
                Ok((a, b)) => format!("{a} {b}"),
                Err(e) => format!("error {e}"),
            })
            .collect()
    }

    #[test]
    fn pairs_on_one_line_or_across_lines() {
        let mut p = Pairs::new();
        assert_eq!(pairs(p.feed("15 10")), ["15 10"]);
        assert_eq!(p.prompt(), FIRST_PROMPT);
        assert!(pairs(p.feed("3")).is_empty());
        assert_eq!(p.prompt(), SECOND_PROMPT);
        assert_eq!(pairs(p.feed("  4  ")), ["3 4"]);
        assert_eq!(pairs(p.feed("1 2 3 4")), ["1 2", "3 4"]);
        assert!(p.finish().is_ok());
    }

    #[test]
    fn words_that_are_not_numbers_are_reported_and_skipped() {
        let mut p = Pairs::new();
        assert_eq!(
            pairs(p.feed("15 abc 10")),
            ["error line 1: \"abc\" is not a number", "15 10"]
        );
        // A Portuguese decimal comma is not silently read as two numbers.
        assert_eq!(
            pairs(p.feed("1,5 2")),
            ["error line 2: \"1,5\" is not a number"]
        );
        assert_eq!(
            p.finish(),
            Err("the number 2 has no pair (the input ended)".to_owned())
        );
    }

    #[test]
    fn empty_lines_are_ignored() {
        let mut p = Pairs::new();
        assert!(p.feed("").is_empty());
        assert!(p.feed("   ").is_empty());
        assert!(p.finish().is_ok());
    }
}
