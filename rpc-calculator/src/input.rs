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

use common::number::Number;

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
            .map(str::parse::<Number>)
            .collect::<Result<Vec<Number>, _>>()
        {
            Ok(numbers) => numbers,
            Err(e) => return Some(Err(format!("line {at}: {e}"))),
        };
        match (self.source, self.first, numbers.as_slice()) {
            (_, _, []) => None,
            (Source::Lines, _, [a, b]) | (Source::Prompts, None, [a, b]) => Some(Ok((*a, *b))),
            (Source::Lines, _, more) => Some(Err(format!(
                "line {at}: expected two numbers (A B), found {}",
                more.len()
            ))),
            (Source::Prompts, None, [a]) => {
                self.first = Some(*a);
                None
            }
            (Source::Prompts, Some(a), [b]) => {
                self.first = None;
                Some(Ok((a, *b)))
            }
            (Source::Prompts, None, more) => Some(Err(format!(
                "line {at}: expected one number or two (A B), found {}",
                more.len()
            ))),
            (Source::Prompts, Some(_), more) => Some(Err(format!(
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
        assert_eq!(p.feed("10"), Some(Ok((15.into(), 10.into()))));
        assert_eq!(p.prompt(), FIRST_PROMPT);
        assert_eq!(p.feed("3 4"), Some(Ok((3.into(), 4.into()))));
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
}
