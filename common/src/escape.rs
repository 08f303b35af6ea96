//! Text that came from a peer, made safe to show.
//!
//! A server logs what its clients send, prints a transcript of it, and a
//! client shows the errors its server answers. Each is a way for a peer to
//! write into somebody else's terminal or log file, and a peer can send any
//! bytes it likes:
//!
//! * a newline forges a log line (`alice\n2099-01-01T00:00:00Z INFO ... logged
//!   in as root`): whoever reads the log, or a tool that parses it, sees an
//!   event that never happened;
//! * an ESC byte starts a terminal control sequence: `\x1b[2J` clears the
//!   screen, others recolour, move the cursor, retitle the window;
//! * Unicode's bidirectional controls (U+202E and friends) reorder what is
//!   displayed, so that what a reader sees is not what was sent;
//! * a megabyte of text becomes a megabyte log line.
//!
//! [`escape`] is the one function every crate uses at that boundary: control
//! characters and the invisible formatting ones are shown as escapes (`\n`,
//! `\x1b`, `\u{202e}`), and a string longer than the limit is cut, with a
//! marker that says how much was left out. Ordinary text, accents included
//! (`Olá`), comes out unchanged, so the transcript of a well-behaved client
//! reads exactly as the slides show it.

use std::borrow::Cow;
use std::fmt;

/// How many characters of a peer's string a log line or transcript shows by
/// default; the rest is replaced by a marker.
pub const SHOWN: usize = 200;

/// `text` as a log, a transcript or a terminal may show it: control and
/// invisible formatting characters escaped, and at most `max_chars`
/// characters of it, followed by `… (N bytes)` when it was cut (N is the
/// whole length). Borrowed when nothing needed changing.
///
/// ```
/// use common::escape::escape;
/// assert_eq!(escape("Olá", 80), "Olá");
/// assert_eq!(escape("a\nb\x1b[2J", 80), "a\\nb\\x1b[2J");
/// assert_eq!(escape("abcdef", 3), "abc… (6 bytes)");
/// ```
pub fn escape(text: &str, max_chars: usize) -> Cow<'_, str> {
    let cut = text.char_indices().nth(max_chars).map(|(at, _)| at);
    let shown = &text[..cut.unwrap_or(text.len())];
    if cut.is_none() && !shown.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(Escaped::new(text, max_chars).to_string())
}

/// [`escape`] as a [`Display`](fmt::Display) value, for logging without an
/// intermediate `String`: `tracing::warn!(user = %Escaped::new(&user, SHOWN))`.
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a> {
    text: &'a str,
    max_chars: usize,
}

impl<'a> Escaped<'a> {
    /// Show at most `max_chars` characters of `text`, escaped.
    pub fn new(text: &'a str, max_chars: usize) -> Self {
        Self { text, max_chars }
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.text;
        let mut shown = 0;
        loop {
            // The longest run that can be written as it is: up to the next
            // character to escape, or to the limit.
            let mut run = rest.len();
            let mut stop = None;
            for (at, c) in rest.char_indices() {
                if shown == self.max_chars {
                    run = at;
                    stop = None;
                    break;
                }
                if needs_escape(c) {
                    run = at;
                    stop = Some(c);
                    break;
                }
                shown += 1;
            }
            f.write_str(&rest[..run])?;
            rest = &rest[run..];
            let Some(c) = stop else {
                if rest.is_empty() {
                    return Ok(());
                }
                return write!(f, "… ({} bytes)", self.text.len());
            };
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if (c as u32) < 0x100 => write!(f, "\\x{:02x}", c as u32)?,
                c => write!(f, "\\u{{{:x}}}", c as u32)?,
            }
            shown += 1;
            rest = &rest[c.len_utf8()..];
        }
    }
}

/// Characters a peer must not get into a terminal or log as they are: the
/// C0 and C1 controls and DEL (`char::is_control`), the bidirectional
/// formatting characters that reorder a line's display, the zero-width ones
/// that hide text, and the line and paragraph separators some viewers break
/// lines at.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for text in ["Olá", "Cliente enviou: 3 + 4", "ação 😀", "a\\nb", ""] {
            assert!(matches!(escape(text, SHOWN), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn a_forged_log_line_stays_on_one_line() {
        let user = "bob\n2099-01-01T00:00:00Z  INFO file_transfer: logged in user=root";
        let shown = escape(user, SHOWN);
        assert!(!shown.contains('\n'));
        assert_eq!(
            shown,
            "bob\\n2099-01-01T00:00:00Z  INFO file_transfer: logged in user=root"
        );
    }

    #[test]
    fn terminal_controls_become_visible_escapes() {
        assert_eq!(escape("\x1b[31mred\x1b[0m", SHOWN), "\\x1b[31mred\\x1b[0m");
        assert_eq!(escape("a\rb\tc\0d\x7f", SHOWN), "a\\rb\\tc\\x00d\\x7f");
        assert_eq!(escape("\u{9b}2J", SHOWN), "\\x9b2J");
    }

    #[test]
    fn reordering_and_invisible_characters_are_escaped() {
        assert_eq!(escape("abc\u{202e}fed", SHOWN), "abc\\u{202e}fed");
        assert_eq!(
            escape("a\u{200b}b\u{2028}c", SHOWN),
            "a\\u{200b}b\\u{2028}c"
        );
    }

    #[test]
    fn long_text_is_cut_at_characters_with_its_length() {
        let long = "é".repeat(300);
        let shown = escape(&long, 10);
        assert_eq!(shown, format!("{}… (600 bytes)", "é".repeat(10)));
        assert_eq!(escape("abc", 3), "abc");
    }

    #[test]
    fn the_limit_counts_an_escaped_character_as_one() {
        assert_eq!(escape("ab\ncd", 2), "ab… (5 bytes)");
        assert_eq!(escape("ab\ncd", 3), "ab\\n… (5 bytes)");
        assert_eq!(escape("ab\ncd", 5), "ab\\ncd");
        assert_eq!(escape("\x1b\x1b", 1), "\\x1b… (2 bytes)");
    }

    #[test]
    fn the_display_form_matches_the_function() {
        let text = "x\ny".repeat(100);
        assert_eq!(Escaped::new(&text, 50).to_string(), escape(&text, 50));
    }
}
