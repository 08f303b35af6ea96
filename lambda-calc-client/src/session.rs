//! The client's three ways to be used: the slide's dialogue, one line per
//! calculation from a pipe, and one calculation from the command line.
//!
//! The slide's program, run in a terminal:
//!
//! ```text
//! Informe a operação: [soma] [sub] [div] [mult]mult
//! operação: mult
//! Informe o valor 1: 8
//! Informe o valor 2: 5
//! {"A multiplicação": 40}
//! Fim...
//! ```
//!
//! Prompts, the echo of the operation and `Fim...` go to standard error;
//! only the result goes to standard output, so `lambda-calc-client >
//! result.json` keeps the dialogue on the screen and the JSON in the file.

use crate::api::Op;
use crate::client::{Client, ClientError, Reply};
use common::number::{Number, ParseNumberError};
use std::borrow::Cow;
use tokio::sync::mpsc::Receiver;

/// The slide's first prompt (no space after it: the slide's run shows
/// `[mult]mult`).
pub const PROMPT_OPERATION: &str = "Informe a operação: [soma] [sub] [div] [mult]";

/// The slide's prompts for the two values.
pub const PROMPT_VALUES: [&str; 2] = ["Informe o valor 1: ", "Informe o valor 2: "];

/// The slide's last line.
pub const GOODBYE: &str = "Fim...";

/// The line that confirms the operation, as the slide's run shows it.
pub fn echo_operation(op: Op) -> String {
    format!("operação: {op}")
}

/// Where the conversation goes.
pub trait Console {
    /// A prompt, left open for the answer.
    fn prompt(&mut self, text: &str);
    /// A line for the person (echoes, complaints, errors).
    fn tell(&mut self, line: &str);
    /// A result.
    fn output(&mut self, line: &str);
}

/// What to print of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Print {
    /// The JSON body as the server sent it.
    Body,
    /// Only the number (`--value`).
    Value,
}

impl Print {
    /// The text to print for `reply`: the body as sent, only escaped if it
    /// holds control characters ([`Reply::shown`]), or the number (a JSON
    /// number, which cannot hold any).
    pub fn of(self, reply: &Reply) -> Cow<'_, str> {
        match self {
            Print::Body => reply.shown(),
            Print::Value => Cow::Borrowed(&reply.value),
        }
    }
}

/// One calculation, as the person typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The operation.
    pub op: Op,
    /// The first value, trimmed.
    pub a: String,
    /// The second value, trimmed.
    pub b: String,
}

/// Ask the slide's three questions. A wrong answer is explained and the
/// same question asked again; `None` if the input ends first.
pub async fn ask(input: &mut Receiver<String>, console: &mut impl Console) -> Option<Question> {
    let op = loop {
        console.prompt(PROMPT_OPERATION);
        let line = input.recv().await?;
        let name = line.trim();
        if name.is_empty() {
            continue;
        }
        match name.parse::<Op>() {
            Ok(op) => break op,
            Err(_) => console.tell(&format!(
                "{} is not an operation; choose {}",
                crate::api::quote(name),
                or_list()
            )),
        }
    };
    console.tell(&echo_operation(op));
    let mut values = Vec::with_capacity(2);
    for (i, prompt) in PROMPT_VALUES.iter().enumerate() {
        let value = loop {
            console.prompt(prompt);
            let line = input.recv().await?;
            let text = line.trim();
            match text.parse::<Number>() {
                Ok(_) => break text.to_owned(),
                Err(ParseNumberError::Empty) => continue,
                Err(e) => console.tell(&format!("value {} {}", i + 1, explain(&e))),
            }
        };
        values.push(value);
    }
    let b = values.pop().unwrap_or_default();
    let a = values.pop().unwrap_or_default();
    Some(Question { op, a, b })
}

/// The slide's program: ask, compute, print the result and `Fim...`. When
/// the server refuses (division by zero, say), its message is shown and
/// the questions start over. Other failures end the dialogue.
pub async fn interactive(
    client: &Client,
    input: &mut Receiver<String>,
    console: &mut impl Console,
    print: Print,
) -> Result<(), ClientError> {
    loop {
        let Some(question) = ask(input, console).await else {
            // The prompt left the cursor on its line.
            console.tell("");
            console.tell(GOODBYE);
            return Ok(());
        };
        match client
            .calculate(question.op.name(), &question.a, &question.b)
            .await
        {
            Ok(reply) => {
                console.output(&print.of(&reply));
                console.tell(GOODBYE);
                return Ok(());
            }
            Err(e) if e.is_refusal() => console.tell(&format!("error: {e}")),
            Err(e) => return Err(e),
        }
    }
}

/// One calculation per line, `OP A B` (`mult 8 5`), to the end of the
/// input. Blank lines and lines starting with `#` are skipped. A line that
/// is malformed or refused is reported (`error: line 3: ...`) and the next
/// one is read; a failure of the network or the server ends the run.
/// Returns how many lines failed.
pub async fn lines(
    client: &Client,
    input: &mut Receiver<String>,
    console: &mut impl Console,
    print: Print,
) -> Result<usize, ClientError> {
    let mut failed = 0;
    let mut number = 0;
    while let Some(line) = input.recv().await {
        number += 1;
        let [op, a, b] = match parse_line(&line) {
            Ok(Some(words)) => words,
            Ok(None) => continue,
            Err(e) => {
                console.tell(&format!("error: line {number}: {e}"));
                failed += 1;
                continue;
            }
        };
        match client.calculate(op, a, b).await {
            Ok(reply) => console.output(&print.of(&reply)),
            Err(e) if e.is_refusal() => {
                console.tell(&format!("error: line {number}: {e}"));
                failed += 1;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(failed)
}

/// `mult 8 5` → the three words; `None` for a blank line or a `#` comment.
/// The words are sent as they are: the server decides what they mean.
pub fn parse_line(line: &str) -> Result<Option<[&str; 3]>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    match words[..] {
        [op, a, b] => Ok(Some([op, a, b])),
        _ => Err(format!(
            "expected OP A B (for example `mult 8 5`), got {}",
            crate::api::quote(line)
        )),
    }
}

fn or_list() -> String {
    let names: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
    let (last, rest) = names.split_last().unwrap_or((&"", &[]));
    format!("{} or {last}", rest.join(", "))
}

fn explain(error: &ParseNumberError) -> String {
    match error {
        ParseNumberError::Empty => "is empty".to_owned(),
        ParseNumberError::NotFinite(text) => {
            format!("is not a finite number: {}", crate::api::quote(text))
        }
        ParseNumberError::Invalid(text) => {
            format!("is not a number: {}", crate::api::quote(text))
        }
        ParseNumberError::OutOfRange(text) => format!(
            "is out of range (at most 28 significant digits): {}",
            crate::api::quote(text)
        ),
    }
}

/// The real console: prompts and notices on standard error, results on
/// standard output.
#[derive(Debug, Default)]
pub struct StdConsole;

impl Console for StdConsole {
    fn prompt(&mut self, text: &str) {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{text}");
        let _ = err.flush();
    }

    fn tell(&mut self, line: &str) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    fn output(&mut self, line: &str) {
        common::cli::print_line(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A console that records everything, in order, marked by kind.
    #[derive(Default)]
    struct Recorder(Vec<String>);

    impl Console for Recorder {
        fn prompt(&mut self, text: &str) {
            self.0.push(format!("? {text}"));
        }
        fn tell(&mut self, line: &str) {
            self.0.push(format!("! {line}"));
        }
        fn output(&mut self, line: &str) {
            self.0.push(format!("> {line}"));
        }
    }

    fn typed(lines: &[&str]) -> Receiver<String> {
        let (tx, rx) = tokio::sync::mpsc::channel(lines.len().max(1));
        for line in lines {
            tx.try_send((*line).to_owned())
                .expect("room in the channel");
        }
        rx
    }

    #[tokio::test]
    async fn the_slide_dialogue() {
        let mut console = Recorder::default();
        let question = ask(&mut typed(&["mult", "8", "5"]), &mut console).await;
        assert_eq!(
            question,
            Some(Question {
                op: Op::Mult,
                a: "8".into(),
                b: "5".into()
            })
        );
        assert_eq!(
            console.0,
            [
                "? Informe a operação: [soma] [sub] [div] [mult]",
                "! operação: mult",
                "? Informe o valor 1: ",
                "? Informe o valor 2: ",
            ]
        );
    }

    #[tokio::test]
    async fn wrong_answers_ask_the_same_question_again() {
        let mut console = Recorder::default();
        let input = &["pow", "", " div ", "abc", "1e309", " 7 ", "NaN", "2"];
        let question = ask(&mut typed(input), &mut console).await;
        assert_eq!(
            question,
            Some(Question {
                op: Op::Div,
                a: "7".into(),
                b: "2".into()
            })
        );
        assert_eq!(
            console.0,
            [
                "? Informe a operação: [soma] [sub] [div] [mult]",
                "! \"pow\" is not an operation; choose soma, sub, div or mult",
                "? Informe a operação: [soma] [sub] [div] [mult]",
                "? Informe a operação: [soma] [sub] [div] [mult]",
                "! operação: div",
                "? Informe o valor 1: ",
                "! value 1 is not a number: \"abc\"",
                "? Informe o valor 1: ",
                "! value 1 is out of range (at most 28 significant digits): \"1e309\"",
                "? Informe o valor 1: ",
                "? Informe o valor 2: ",
                "! value 2 is not a finite number: \"NaN\"",
                "? Informe o valor 2: ",
            ]
        );
    }

    #[tokio::test]
    async fn the_end_of_input_ends_the_questions() {
        let mut console = Recorder::default();
        assert_eq!(ask(&mut typed(&["soma", "1"]), &mut console).await, None);
    }

    #[test]
    fn pipe_lines_are_three_words() {
        assert_eq!(parse_line("mult 8 5"), Ok(Some(["mult", "8", "5"])));
        assert_eq!(
            parse_line("  div\t1.5   -2 "),
            Ok(Some(["div", "1.5", "-2"]))
        );
        assert_eq!(parse_line(""), Ok(None));
        assert_eq!(parse_line("# a comment"), Ok(None));
        assert!(parse_line("mult 8").is_err());
        assert!(parse_line("mult 8 5 2").is_err());
    }

    #[test]
    fn print_chooses_body_or_value() {
        let reply = Reply {
            body: r#"{"A soma": 13}"#.into(),
            key: "A soma".into(),
            value: "13".into(),
        };
        assert_eq!(Print::Body.of(&reply), r#"{"A soma": 13}"#);
        assert_eq!(Print::Value.of(&reply), "13");
    }
}
