//! The client's three ways to be used: the slide's dialogue, one line per
//! calculation from a pipe, and one calculation from the command line.
//!
//! The slide's program, run in a terminal (issue 13 quotes the slide):
//!
//! ```text
//! Informe a operação: [soma] [sub] [div] [mult]mult
//! operação:  mult
//! Informe o valor 1: 8
//! Informe o valor 2: 5
//! {'A multiplicação': 40}
//! Fim...
//! ```
//!
//! The slide's program is Python: `input()` writes its prompt on standard
//! output, `print('operação: ', op)` puts a space between its two
//! arguments (hence two spaces), and `print(r.json())` shows the decoded
//! JSON as Python shows a dict ([`python_dict`]). The dialogue here writes
//! the same lines on standard output; complaints about the input and the
//! server's refusals go to standard error. On a terminal, what the person
//! types is echoed by the terminal; when the answers come from a pipe
//! (`--interactive`), the client echoes each one after its prompt, so that
//! the transcript reads line for line as the slide's.

use crate::api::Op;
use crate::client::{Client, ClientError, Reply, check_value};
use common::escape::{SHOWN, escape};
use common::number::ParseNumberError;
use std::borrow::Cow;
use tokio::sync::mpsc::Receiver;

/// The slide's first prompt (no space after it: the slide's run shows
/// `[mult]mult`).
pub const PROMPT_OPERATION: &str = "Informe a operação: [soma] [sub] [div] [mult]";

/// The slide's prompts for the two values.
pub const PROMPT_VALUES: [&str; 2] = ["Informe o valor 1: ", "Informe o valor 2: "];

/// The slide's last line.
pub const GOODBYE: &str = "Fim...";

/// The line that confirms the operation: the slide's
/// `print('operação: ', op)`, a space inside the string and the one
/// `print` puts between its arguments.
pub fn echo_operation(op: Op) -> String {
    format!("operação:  {op}")
}

/// Where the conversation goes.
pub trait Console {
    /// A prompt, left open for the answer.
    fn prompt(&mut self, text: &str);
    /// A line of the conversation, or a result.
    fn output(&mut self, line: &str);
    /// A line for the person beside the conversation: a complaint about
    /// the input, an error.
    fn tell(&mut self, line: &str);
}

/// What to print of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Print {
    /// The JSON body as the server sent it.
    Body,
    /// The decoded JSON as Python prints a dict, as the slide's program
    /// does: `{'A multiplicação': 40}` ([`python_dict`]).
    Dict,
    /// Only the number (`--value`).
    Value,
}

impl Print {
    /// The text to print for `reply`: the body as sent, only escaped if it
    /// holds control characters ([`Reply::shown`]); the dict; or the number
    /// (a JSON number, which cannot hold any).
    pub fn of(self, reply: &Reply) -> Cow<'_, str> {
        match self {
            Print::Body => reply.shown(),
            Print::Dict => Cow::Owned(python_dict(&reply.key, &reply.value)),
            Print::Value => Cow::Borrowed(&reply.value),
        }
    }
}

/// `{'A multiplicação': 40}`: a one-member JSON object as Python's
/// `print()` shows the dict `json.loads` makes of it. The key is written as
/// Python's `repr()` writes a string ([`python_str`]); the number is written
/// with the text the server sent (`40`, `0.8`, every digit of an exact
/// decimal), the same text `--value` prints, where Python would print the
/// nearest double.
pub fn python_dict(key: &str, number: &str) -> String {
    format!("{{{}: {number}}}", python_str(key))
}

/// A string as Python's `repr()` writes it: in single quotes, or in double
/// quotes if it holds a single quote and no double one; backslashes, the
/// quote, `\t`, `\n` and `\r` escaped; other characters Python does not
/// print (control, format and separator characters, private use) as `\xNN`,
/// `\uNNNN` or `\UNNNNNNNN`; everything else, accents included, as it is.
/// Unassigned code points, which Python also escapes, are left as they are:
/// that needs Unicode's tables, and no result name holds one.
pub fn python_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if python_prints(c) => out.push(c),
            c => {
                let code = u32::from(c);
                let escaped = if code <= 0xff {
                    format!("\\x{code:02x}")
                } else if code <= 0xffff {
                    format!("\\u{code:04x}")
                } else {
                    format!("\\U{code:08x}")
                };
                out.push_str(&escaped);
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` for one character, but for unassigned
/// code points: false for the control (Cc), format (Cf), separator (Zs but
/// the space, Zl, Zp) and private-use (Co) characters.
fn python_prints(c: char) -> bool {
    !matches!(
        u32::from(c),
        0x00..=0x1f
            | 0x7f..=0xa0
            | 0xad
            | 0x600..=0x605
            | 0x61c
            | 0x6dd
            | 0x70f
            | 0x890..=0x891
            | 0x8e2
            | 0x1680
            | 0x180e
            | 0x2000..=0x200f
            | 0x2028..=0x202f
            | 0x205f..=0x2064
            | 0x2066..=0x206f
            | 0x3000
            | 0xe000..=0xf8ff
            | 0xfeff
            | 0xfff9..=0xfffb
            | 0x110bd
            | 0x110cd
            | 0x13430..=0x1343f
            | 0x1bca0..=0x1bca3
            | 0x1d173..=0x1d17a
            | 0xe0001
            | 0xe0020..=0xe007f
            | 0xf0000..
    )
}

/// Whether the dialogue echoes what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// A terminal echoes what the person types: nothing to add.
    Terminal,
    /// The answers come from a pipe: write each after its prompt, as a
    /// terminal would have shown it.
    Answers,
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

/// The next answer, echoed if `echo` says so; `None` at the end of input.
async fn answer(
    input: &mut Receiver<String>,
    console: &mut impl Console,
    echo: Echo,
) -> Option<String> {
    let line = input.recv().await?;
    if echo == Echo::Answers {
        console.output(&escape(&line, SHOWN));
    }
    Some(line)
}

/// Ask the slide's three questions. A wrong answer is explained and the
/// same question asked again; `None` if the input ends first.
pub async fn ask(
    input: &mut Receiver<String>,
    console: &mut impl Console,
    echo: Echo,
) -> Option<Question> {
    let op = loop {
        console.prompt(PROMPT_OPERATION);
        let line = answer(input, console, echo).await?;
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
    console.output(&echo_operation(op));
    let mut values = Vec::with_capacity(2);
    for (i, prompt) in PROMPT_VALUES.iter().enumerate() {
        let value = loop {
            console.prompt(prompt);
            let line = answer(input, console, echo).await?;
            let text = line.trim();
            // The check every mode makes before sending (`Client::calculate`
            // makes it again): here, so that a wrong value is asked again.
            match check_value(i + 1, text) {
                Ok(_) => break text.to_owned(),
                Err(ClientError::BadValue {
                    error: ParseNumberError::Empty,
                    ..
                }) => continue,
                Err(e) => console.tell(&e.to_string()),
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
    echo: Echo,
) -> Result<(), ClientError> {
    loop {
        let Some(question) = ask(input, console, echo).await else {
            // The prompt left the cursor on its line.
            console.output("");
            console.output(GOODBYE);
            return Ok(());
        };
        match client
            .calculate(question.op.name(), &question.a, &question.b)
            .await
        {
            Ok(reply) => {
                console.output(&print.of(&reply));
                console.output(GOODBYE);
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
/// The values are then checked as in every mode ([`Client::calculate`]),
/// and the operation is left to the server.
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

/// The real console: the conversation and the results on standard
/// output, complaints and errors on standard error.
#[derive(Debug, Default)]
pub struct StdConsole;

impl Console for StdConsole {
    fn prompt(&mut self, text: &str) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{text}");
        let _ = out.flush();
    }

    fn output(&mut self, line: &str) {
        common::cli::print_line(line);
    }

    fn tell(&mut self, line: &str) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "{line}");
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
        fn output(&mut self, line: &str) {
            self.0.push(format!("> {line}"));
        }
        fn tell(&mut self, line: &str) {
            self.0.push(format!("! {line}"));
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
        let question = ask(
            &mut typed(&["mult", "8", "5"]),
            &mut console,
            Echo::Terminal,
        )
        .await;
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
                "> operação:  mult",
                "? Informe o valor 1: ",
                "? Informe o valor 2: ",
            ]
        );
    }

    #[tokio::test]
    async fn answers_from_a_pipe_are_echoed_after_their_prompts() {
        let mut console = Recorder::default();
        ask(&mut typed(&["mult", "8", "5"]), &mut console, Echo::Answers).await;
        assert_eq!(
            console.0,
            [
                "? Informe a operação: [soma] [sub] [div] [mult]",
                "> mult",
                "> operação:  mult",
                "? Informe o valor 1: ",
                "> 8",
                "? Informe o valor 2: ",
                "> 5",
            ]
        );
    }

    #[tokio::test]
    async fn wrong_answers_ask_the_same_question_again() {
        let mut console = Recorder::default();
        let input = &["pow", "", " div ", "abc", "1e1000", " 7 ", "NaN", "2"];
        let question = ask(&mut typed(input), &mut console, Echo::Terminal).await;
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
                "> operação:  div",
                "? Informe o valor 1: ",
                "! value 1: \"abc\" is not a number",
                "? Informe o valor 1: ",
                "! value 1: \"1e1000\" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude",
                "? Informe o valor 1: ",
                "? Informe o valor 2: ",
                "! value 2: \"NaN\" is not a finite number",
                "? Informe o valor 2: ",
            ]
        );
    }

    #[tokio::test]
    async fn the_end_of_input_ends_the_questions() {
        let mut console = Recorder::default();
        assert_eq!(
            ask(&mut typed(&["soma", "1"]), &mut console, Echo::Terminal).await,
            None
        );
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
    fn print_chooses_body_dict_or_value() {
        let reply = Reply {
            body: r#"{"A soma: ": 13}"#.into(),
            key: "A soma: ".into(),
            value: "13".into(),
        };
        assert_eq!(Print::Body.of(&reply), r#"{"A soma: ": 13}"#);
        assert_eq!(Print::Dict.of(&reply), "{'A soma: ': 13}");
        assert_eq!(Print::Value.of(&reply), "13");
    }

    #[test]
    fn the_dict_is_written_as_python_prints_it() {
        assert_eq!(
            python_dict("A multiplicação", "40"),
            "{'A multiplicação': 40}"
        );
        assert_eq!(python_dict("A Divisão", "0.8"), "{'A Divisão': 0.8}");
        assert_eq!(python_dict("A subtração:", "-1"), "{'A subtração:': -1}");
        assert_eq!(
            python_dict("A Divisão", "3.333333333333333333333333333333333e-29"),
            "{'A Divisão': 3.333333333333333333333333333333333e-29}"
        );
    }

    #[test]
    fn strings_are_quoted_as_pythons_repr_quotes_them() {
        // Each expected text is what `python3 -c 'print(repr(s))'` prints.
        for (text, repr) in [
            ("A soma: ", "'A soma: '"),
            ("it's", r#""it's""#),
            (r#"say "hi""#, r#"'say "hi"'"#),
            (r#"it's "x""#, r#"'it\'s "x"'"#),
            ("a\\b", r"'a\\b'"),
            ("\t\n\r", r"'\t\n\r'"),
            ("\u{1b}[2J", r"'\x1b[2J'"),
            ("\u{7f}\u{9b}\u{a0}\u{ad}", r"'\x7f\x9b\xa0\xad'"),
            (
                "\u{202e}\u{200b}\u{2028}\u{feff}",
                r"'\u202e\u200b\u2028\ufeff'",
            ),
            ("\u{e0041}\u{10fffd}", r"'\U000e0041\U0010fffd'"),
            ("Olá 😀 ção", "'Olá 😀 ção'"),
        ] {
            assert_eq!(python_str(text), repr, "{text:?}");
        }
    }
}
