//! The client's console: numbers typed at a prompt or read from a pipe.
//!
//! Two forms, one for each kind of input:
//!
//! * **A pipe or a file** ([`Source::Lines`]): one pair per line, two
//!   numbers separated by spaces or tabs (`15 10`). Blank lines are
//!   skipped. Any other line (one number, three, or a word that is not a
//!   number, such as the Portuguese `1,5`) is refused whole, with its line
//!   number: nothing of it is computed, and nothing of it is carried to the
//!   next line, so a pair is always two numbers somebody typed side by side.
//! * **A terminal** ([`Source::Prompts`]): the slide's client asks
//!   `1º número: ` and `2º número: `, one number per answer; the first
//!   answer may also be the whole pair (`15 10`). Here the prompts say
//!   which number a line is, so the pair is the two answers. A refused
//!   answer is asked again.
//!
//! Both read numbers with [`number`], the parser the command line's `A B`
//! uses too, so a number typed anywhere is the same number.

use common::number::{Number, ParseNumberError};

/// A number as people type it (`7`, `-3`, `0.1`, `.5`, `1e308`, up to 100
/// significant digits): the one parser of the client's numbers, whether
/// they come from the command line, a pipe or a prompt.
pub fn number(text: &str) -> Result<Number, ParseNumberError> {
    text.parse()
}

/// The prompt for the first number of a pair, as in the slide.
pub const FIRST_PROMPT: &str = "1º número: ";
/// The prompt for the second number.
pub const SECOND_PROMPT: &str = "2º número: ";

/// Where the lines come from, which decides what a line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// A pipe or a file: one pair per line.
    #[default]
    Lines,
    /// A person answering the prompts: one number per answer.
    Prompts,
}

/// Pairs of numbers, read a line at a time.
#[derive(Debug, Default)]
pub struct Pairs {
    source: Source,
    first: Option<Number>,
    line: usize,
}

impl Pairs {
    /// No numbers read yet, from `source`.
    pub fn new(source: Source) -> Self {
        Self {
            source,
            ..Self::default()
        }
    }

    /// The prompt for the next number.
    pub fn prompt(&self) -> &'static str {
        if self.first.is_some() {
            SECOND_PROMPT
        } else {
            FIRST_PROMPT
        }
    }

    /// Read one line: the pair it completes, if any, or why it is refused
    /// (`line 2: "1,5" is not a number`).
    pub fn feed(&mut self, line: &str) -> Option<Result<(Number, Number), String>> {
        self.line += 1;
        let at = self.line;
        let numbers = match line
            .split_whitespace()
            .map(number)
            .collect::<Result<Vec<Number>, _>>()
        {
            Ok(numbers) => numbers,
            Err(e) => return Some(Err(format!("line {at}: {e}"))),
        };
        let waiting = self.first.is_some();
        match (self.source, waiting, numbers.as_slice()) {
            (_, _, []) => None,
            (Source::Lines, _, [a, b]) | (Source::Prompts, false, [a, b]) => {
                Some(Ok((a.clone(), b.clone())))
            }
            (Source::Lines, _, more) => Some(Err(format!(
                "line {at}: expected two numbers (A B), found {}",
                more.len()
            ))),
            (Source::Prompts, false, [a]) => {
                self.first = Some(a.clone());
                None
            }
            (Source::Prompts, true, [b]) => self.first.take().map(|a| Ok((a, b.clone()))),
            (Source::Prompts, false, more) => Some(Err(format!(
                "line {at}: expected one number or two (A B), found {}",
                more.len()
            ))),
            (Source::Prompts, true, more) => Some(Err(format!(
                "line {at}: expected one number (the second), found {}",
                more.len()
            ))),
        }
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

    fn read(source: Source, lines: &[&str]) -> (Vec<String>, Result<(), String>) {
        let mut p = Pairs::new(source);
        let shown = lines
            .iter()
            .filter_map(|line| p.feed(line))
            .map(|r| match r {
                Ok((a, b)) => format!("{a} {b}"),
                Err(e) => format!("error {e}"),
            })
            .collect();
        (shown, p.finish())
    }

    #[test]
    fn from_a_pipe_each_line_is_one_pair() {
        let (pairs, end) = read(Source::Lines, &["15 10", "", "   ", "\t3\t 4  "]);
        assert_eq!(pairs, ["15 10", "3 4"]);
        assert_eq!(end, Ok(()));
    }

    #[test]
    fn from_a_pipe_a_bad_line_is_refused_whole_and_pairs_never_cross_lines() {
        let (pairs, end) = read(
            Source::Lines,
            &["15 10", "1,5 2", "7", "1 2 3", "15 abc 10"],
        );
        assert_eq!(
            pairs,
            [
                "15 10",
                "error line 2: \"1,5\" is not a number",
                "error line 3: expected two numbers (A B), found 1",
                "error line 4: expected two numbers (A B), found 3",
                "error line 5: \"abc\" is not a number",
            ]
        );
        // Nothing was left waiting for a partner.
        assert_eq!(end, Ok(()));
    }

    #[test]
    fn at_the_prompts_each_answer_is_one_number() {
        let mut p = Pairs::new(Source::Prompts);
        assert_eq!(p.prompt(), FIRST_PROMPT);
        assert_eq!(p.feed("15"), None);
        assert_eq!(p.prompt(), SECOND_PROMPT);
        assert_eq!(p.feed("10"), Some(Ok((15i64.into(), 10i64.into()))));
        assert_eq!(p.prompt(), FIRST_PROMPT);
        assert_eq!(p.feed("3 4"), Some(Ok((3i64.into(), 4i64.into()))));
        assert_eq!(p.finish(), Ok(()));
    }

    #[test]
    fn at_the_prompts_a_refused_answer_is_asked_again() {
        let mut p = Pairs::new(Source::Prompts);
        assert_eq!(p.feed("15"), None);
        assert_eq!(
            p.feed("1,5"),
            Some(Err("line 2: \"1,5\" is not a number".to_owned()))
        );
        assert_eq!(p.prompt(), SECOND_PROMPT);
        assert_eq!(
            p.feed("1 2"),
            Some(Err(
                "line 3: expected one number (the second), found 2".to_owned()
            ))
        );
        assert_eq!(p.feed(""), None);
        assert_eq!(p.prompt(), SECOND_PROMPT);
        assert_eq!(
            p.finish(),
            Err("the number 15 has no pair (the input ended)".to_owned())
        );
    }

    #[test]
    fn a_pipe_and_the_prompts_read_numbers_as_the_command_line_does() {
        let long = "123456789012345678901234567890.123456789012345678901234567890";
        let big = "1e308";
        let typed = (
            number(long).expect("60 digits"),
            number(big).expect("1e308"),
        );
        assert_eq!(typed.1.to_string(), "1e+308");
        let mut pipe = Pairs::new(Source::Lines);
        assert_eq!(pipe.feed(&format!("{long} {big}")), Some(Ok(typed.clone())));
        let mut prompts = Pairs::new(Source::Prompts);
        assert_eq!(prompts.feed(long), None);
        assert_eq!(prompts.feed(big), Some(Ok(typed)));
    }
}
