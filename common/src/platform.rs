//! What differs between Unix and Windows when a program starts another one:
//! the shell that runs a command line, and the name of Python 3.
//!
//! Every exercise is written for both. The course's machines are Linux,
//! but its screenshots are taken on Windows, where there is no `sh` and
//! Python 3 is `python` or `py -3` (a `python3` there is often only the
//! Microsoft Store's installer stub). Each difference is one function
//! here; the logic that chooses is a pure function beside it, tested on
//! any system.

use std::ffi::OsString;
use std::process::Command;
use std::sync::OnceLock;

/// The environment variable that names the Python 3 interpreter: a path
/// (`C:\Program Files\Python312\python.exe`), or a command with its first
/// arguments (`py -3`).
pub const PYTHON_VAR: &str = "PYTHON";

/// A command `line` typed by a person (`python3 server.py --port 0`) run
/// through the platform's shell, with `args` appended as separate
/// arguments.
///
/// On Unix: `sh -c 'exec LINE "$@"' sh ARGS...`; `exec` makes the shell
/// become the program, so the process a caller holds (and signals, and
/// kills) is the program's own. On Windows: `cmd.exe /d /s /c "LINE ARGS"`,
/// each argument quoted as Windows programs read them
/// ([`windows_shell_line`]); there the process held is `cmd.exe`, which
/// waits for the program.
pub fn shell_command(line: &str, args: &[&str]) -> Command {
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt as _;
        let mut cmd = Command::new("cmd.exe");
        cmd.raw_arg(windows_shell_line(line, args));
        cmd
    }
    #[cfg(not(windows))]
    {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("exec {line} \"$@\""))
            .arg("sh")
            .args(args);
        cmd
    }
}

/// The arguments of `cmd.exe` that run `line` with `args` appended:
/// `/d` (no AutoRun commands), `/s /c "..."` (the outer quotes are removed
/// and the rest run as it is).
///
/// ```
/// use common::platform::windows_shell_line;
/// assert_eq!(
///     windows_shell_line("python server.py", &["--listen", "127.0.0.1:0"]),
///     r#"/d /s /c "python server.py --listen 127.0.0.1:0""#
/// );
/// ```
pub fn windows_shell_line(line: &str, args: &[&str]) -> String {
    let mut all = line.to_owned();
    for arg in args {
        all.push(' ');
        let quoted = windows_quote(arg);
        // cmd.exe acts on these outside quotes (`a&b` would run `b`).
        if !quoted.starts_with('"') && arg.contains(['&', '|', '<', '>', '^', '(', ')']) {
            all.push('"');
            all.push_str(arg);
            all.push('"');
        } else {
            all.push_str(&quoted);
        }
    }
    format!("/d /s /c \"{all}\"")
}

/// One argument quoted as Windows programs split their command line (the
/// rules of the Microsoft C runtime, which Python and Rust follow): left
/// alone without spaces or quotes; else in quotes, a quote inside as `\"`,
/// and the backslashes before a quote (or before the closing one) doubled.
pub fn windows_quote(arg: &str) -> String {
    if !arg.is_empty() && !arg.contains([' ', '\t', '\n', '\u{b}', '"']) {
        return arg.to_owned();
    }
    let mut out = String::from("\"");
    let mut backslashes = 0;
    for c in arg.chars() {
        match c {
            '\\' => backslashes += 1,
            '"' => {
                out.extend(std::iter::repeat_n('\\', 2 * backslashes + 1));
                out.push('"');
                backslashes = 0;
            }
            other => {
                out.extend(std::iter::repeat_n('\\', backslashes));
                out.push(other);
                backslashes = 0;
            }
        }
    }
    out.extend(std::iter::repeat_n('\\', 2 * backslashes));
    out.push('"');
    out
}

/// A `Command` that runs Python 3: [`PYTHON_VAR`] if set, else the first of
/// the platform's usual names that is Python 3 ([`python_candidates`]),
/// found once per process. Add the script and its arguments.
pub fn python() -> Command {
    let words = python_words();
    let mut cmd = Command::new(&words[0]);
    cmd.args(&words[1..]);
    cmd
}

/// The program and first arguments [`python`] runs, e.g. `["python3"]` or
/// `["py", "-3"]`: for messages, and for launchers that add their own.
pub fn python_words() -> &'static [OsString] {
    static FOUND: OnceLock<Vec<OsString>> = OnceLock::new();
    FOUND.get_or_init(|| {
        if let Some(value) = std::env::var_os(PYTHON_VAR).filter(|v| !v.is_empty()) {
            let is_file = std::path::Path::new(&value).is_file();
            return python_from_var(&value.to_string_lossy(), is_file)
                .into_iter()
                .map(OsString::from)
                .collect();
        }
        let works = |words: &[&str]| {
            Command::new(words[0])
                .args(&words[1..])
                .args(["-c", "import sys; sys.exit(sys.version_info[0] != 3)"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let candidates = python_candidates(cfg!(windows));
        // None works: the usual name, so that the error names it.
        let chosen = candidates
            .iter()
            .find(|words| works(words))
            .unwrap_or(&candidates[0]);
        chosen.iter().map(OsString::from).collect()
    })
}

/// The names Python 3 has, in the order tried: `python3` on Unix; on
/// Windows the launcher `py -3` first (the python.org installer's), then
/// `python` (the Store's and conda's), and `python3` last.
pub fn python_candidates(windows: bool) -> &'static [&'static [&'static str]] {
    if windows {
        &[&["py", "-3"], &["python"], &["python3"]]
    } else {
        &[&["python3"], &["python"]]
    }
}

/// [`PYTHON_VAR`]'s value as a program and its first arguments: the whole
/// value when it names a file (a path may hold spaces), else its words.
///
/// ```
/// use common::platform::python_from_var;
/// assert_eq!(python_from_var("py -3", false), ["py", "-3"]);
/// assert_eq!(
///     python_from_var(r"C:\Program Files\Python312\python.exe", true),
///     [r"C:\Program Files\Python312\python.exe"]
/// );
/// ```
pub fn python_from_var(value: &str, is_file: bool) -> Vec<String> {
    if is_file {
        return vec![value.to_owned()];
    }
    let words: Vec<String> = value.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        vec![value.to_owned()]
    } else {
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_arguments_are_left_alone() {
        assert_eq!(windows_quote("127.0.0.1:0"), "127.0.0.1:0");
        assert_eq!(windows_quote(r"C:\dados\a.xlsx"), r"C:\dados\a.xlsx");
    }

    #[test]
    fn arguments_with_spaces_or_quotes_are_quoted_as_the_c_runtime_reads_them() {
        assert_eq!(windows_quote(""), r#""""#);
        assert_eq!(windows_quote("Plan 1"), r#""Plan 1""#);
        assert_eq!(windows_quote(r#"say "oi""#), r#""say \"oi\"""#);
        // Backslashes are doubled only before a quote, and at the end.
        assert_eq!(windows_quote(r"C:\Meus Dados\"), r#""C:\Meus Dados\\""#);
        assert_eq!(windows_quote(r#"a\"b c"#), r#""a\\\"b c""#);
    }

    #[test]
    fn the_shell_line_keeps_the_command_and_quotes_each_argument() {
        assert_eq!(
            windows_shell_line("py -3 server.py", &["--sheet", "Plan 1"]),
            r#"/d /s /c "py -3 server.py --sheet "Plan 1"""#
        );
    }

    #[test]
    fn the_shells_own_characters_are_quoted() {
        assert_eq!(
            windows_shell_line("x", &["a&b", "c|d"]),
            r#"/d /s /c "x "a&b" "c|d"""#
        );
    }

    #[test]
    fn python_is_looked_for_under_each_platforms_names() {
        assert_eq!(python_candidates(false)[0], ["python3"]);
        assert_eq!(python_candidates(true)[0], ["py", "-3"]);
        assert!(python_candidates(true).contains(&&["python"][..]));
    }

    #[test]
    fn the_variable_names_a_path_or_a_command() {
        assert_eq!(python_from_var("python3.12", false), ["python3.12"]);
        assert_eq!(python_from_var(" py  -3 ", false), ["py", "-3"]);
        assert_eq!(
            python_from_var("/opt/my python/bin/python3", true),
            ["/opt/my python/bin/python3"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_shell_runs_the_line_with_the_arguments_appended() {
        let out = shell_command("printf '%s|'", &["a b", "c"])
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a b|c|");
    }
}
