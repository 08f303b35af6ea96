//! A test's name as a sentence a student reads: `a_json_request_gets_a_json_sum`
//! is "a JSON request gets a JSON sum".

/// Words written in a fixed way (acronyms, names).
const WORDS: &[(&str, &str)] = &[
    ("ascii", "ASCII"),
    ("api", "API"),
    ("cpu", "CPU"),
    ("crlf", "CRLF"),
    ("csv", "CSV"),
    ("eof", "EOF"),
    ("gateway", "Gateway"),
    ("html", "HTML"),
    ("http", "HTTP"),
    ("https", "HTTPS"),
    ("id", "ID"),
    ("ip", "IP"),
    ("ipv6", "IPv6"),
    ("json", "JSON"),
    ("jsonrpc", "JSON-RPC"),
    ("kib", "KiB"),
    ("lambda", "Lambda"),
    ("mariadb", "MariaDB"),
    ("mib", "MiB"),
    ("mysql", "MySQL"),
    ("ods", ".ods"),
    ("os", "OS"),
    ("postgresql", "PostgreSQL"),
    ("protobuf", "protobuf"),
    ("python", "Python"),
    ("rest", "REST"),
    ("rpc", "RPC"),
    ("scram", "SCRAM"),
    ("sql", "SQL"),
    ("sqlite", "SQLite"),
    ("sigterm", "SIGTERM"),
    ("tcp", "TCP"),
    ("tls", "TLS"),
    ("udp", "UDP"),
    ("unix", "Unix"),
    ("url", "URL"),
    ("utf8", "UTF-8"),
    ("websocket", "WebSocket"),
    ("websockets", "WebSockets"),
    ("ws", "WebSocket"),
    ("xls", ".xls"),
    ("xlsb", ".xlsb"),
    ("xlsx", ".xlsx"),
    ("xml", "XML"),
    ("xmlrpc", "XML-RPC"),
];

/// `name` (a test function's path) as a sentence.
///
/// ```
/// assert_eq!(grade::sentence::of("a_json_request_gets_a_json_sum"), "a JSON request gets a JSON sum");
/// assert_eq!(grade::sentence::of("tests::xmlrpc_div_by_zero"), "XML-RPC div by zero");
/// ```
pub fn of(name: &str) -> String {
    let last = name.rsplit("::").next().unwrap_or(name);
    last.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            WORDS
                .iter()
                .find(|(k, _)| *k == w)
                .map(|(_, v)| (*v).to_owned())
                .unwrap_or_else(|| w.to_owned())
        })
        .collect::<Vec<_>>()
        .join(" ")
}
