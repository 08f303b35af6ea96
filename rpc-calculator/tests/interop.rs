//! The course's Python, standard library only, against our binaries (and
//! ours against Python's `SimpleXMLRPCServer`): the contract outlives the
//! language.
//!
//! The slide's programs are unchanged except that the port comes from the
//! command line (the tests use free ports).

mod support;

use support::testing::{run_python, spawn_python};
use support::{client, start_server};

/// The slide's Client.py ("Invocação Remota - Exercício de implementação"),
/// the port from the command line instead of 8005.
const SLIDE_CLIENT: &str = r#"
import sys
import xmlrpc.client
s = xmlrpc.client.ServerProxy('http://localhost:%s' % sys.argv[1])
numero1 = input("1º numero: ")
numero2 = input("2º numero: ")
print('Somar: ',s.add(int(numero1),int(numero2)))
"#;

/// The exercise's client in Python: all five operations, with the slide's
/// labels, and the numbers Python sends as doubles.
const EXERCISE_CLIENT: &str = r#"
import sys
import xmlrpc.client
s = xmlrpc.client.ServerProxy('http://127.0.0.1:%s' % sys.argv[1])
a, b = 15, 10
print('Somar:', s.add(a, b))
print('Subtrair:', s.sub(a, b))
print('Multiplicar:', s.mul(a, b))
print('Potência:', s.pow(a, b))
print('Dividir:', s.div(a, b))
print('doubles:', s.add(0.1, 0.2), s.mul(2.5, 4))
print('calculate:', sorted(s.calculate(15, 0).items()))
print('methods:', ' '.join(s.system.listMethods()))
try:
    s.div(1, 0)
except xmlrpc.client.Fault as f:
    print('fault:', f.faultCode, f.faultString)
try:
    s.sqrt(4)
except xmlrpc.client.Fault as f:
    print('fault:', f.faultCode)
"#;

/// JSON-RPC from Python's standard library: `json` and `urllib`, no package.
const JSON_URLLIB_CLIENT: &str = r#"
import json, sys, urllib.request
URL = 'http://127.0.0.1:%s/' % sys.argv[1]

def post(payload):
    request = urllib.request.Request(
        URL, data=json.dumps(payload).encode('utf-8'),
        headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
        return json.loads(body) if body else None

def call(method, *params):
    return post({'jsonrpc': '2.0', 'id': 1, 'method': method, 'params': list(params)})

print('add', call('add', 15, 10)['result'])
print('pow', call('pow', 15, 10)['result'])
print('div', call('div', 15, 10)['result'])
print('big', call('pow', 15, 20)['result'])
error = call('div', 1, 0)['error']
print('div0', error['code'], error['message'])
print('sqrt', call('sqrt', 4)['error']['code'])
"#;

/// A JSON-RPC batch from Python: several calls in one HTTP request, one of
/// them a notification (no id, so no reply).
const BATCH_CLIENT: &str = r#"
import json, sys, urllib.request
URL = 'http://127.0.0.1:%s/' % sys.argv[1]
batch = [
    {'jsonrpc': '2.0', 'id': 1, 'method': 'add', 'params': [15, 10]},
    {'jsonrpc': '2.0', 'id': 2, 'method': 'div', 'params': [1, 0]},
    {'jsonrpc': '2.0', 'method': 'mul', 'params': [2, 2]},
    {'jsonrpc': '2.0', 'id': 3, 'method': 'mul', 'params': [0.1, 3]},
    {'jsonrpc': '2.0', 'id': 4, 'method': 'nope', 'params': []},
]
request = urllib.request.Request(URL, data=json.dumps(batch).encode('utf-8'),
                                 headers={'Content-Type': 'application/json'})
with urllib.request.urlopen(request, timeout=10) as response:
    replies = json.load(response)
print('replies', len(replies))
for reply in sorted(replies, key=lambda r: r['id']):
    if 'result' in reply:
        print(reply['id'], 'result', reply['result'])
    else:
        print(reply['id'], 'error', reply['error']['code'])
"#;

/// Python's numbers against ours: its largest floats over XML-RPC, a
/// quotient that does not end (XML-RPC carries doubles, so it arrives as
/// the double Python itself computes), a result XML-RPC cannot carry, and
/// the exact result over JSON-RPC read with `decimal`.
const NUMBERS_CLIENT: &str = r#"
import decimal, json, sys, urllib.request, xmlrpc.client
s = xmlrpc.client.ServerProxy('http://127.0.0.1:%s' % sys.argv[1])
print('mul', s.mul(1e308, 1))
print('div', s.div(1, 3) == 1 / 3, s.div(2, 3) == 2 / 3, s.div(1, 7) == 1 / 7)
try:
    s.add(1e308, 1e308)
except xmlrpc.client.Fault as f:
    print('fault', f.faultCode, f.faultString)
request = urllib.request.Request(
    'http://127.0.0.1:%s/' % sys.argv[1],
    data=b'{"jsonrpc":"2.0","id":1,"method":"add","params":[1e28,0.1]}',
    headers={'Content-Type': 'application/json'})
with urllib.request.urlopen(request, timeout=10) as response:
    print('json', json.load(response, parse_float=decimal.Decimal)['result'])
"#;

/// The slide's Server.py extended to the exercise (five functions), on a
/// free port, printing `listening on` first so the test can find it.
const PYTHON_SERVER: &str = r#"
from xmlrpc.server import SimpleXMLRPCServer
from xmlrpc.server import SimpleXMLRPCRequestHandler

class RequestHandler(SimpleXMLRPCRequestHandler):
    rpc_paths = ('/RPC2',)

with SimpleXMLRPCServer(('127.0.0.1', 0), requestHandler=RequestHandler,
                        logRequests=False) as server:
    server.register_introspection_functions()
    server.register_function(lambda x, y: x + y, 'add')
    server.register_function(lambda x, y: x - y, 'sub')
    server.register_function(lambda x, y: x * y, 'mul')
    server.register_function(lambda x, y: x ** y, 'pow')
    server.register_function(lambda x, y: x / y, 'div')
    print('listening on %s:%d' % server.server_address, flush=True)
    server.serve_forever()
"#;

fn port(server: &common::testing::Program) -> String {
    server.socket_addr().port().to_string()
}

#[test]
fn the_slides_python_client_adds_on_our_server() {
    let mut server = start_server(&[]);
    let done = run_python(SLIDE_CLIENT, &[&port(&server)], "15\n10\n");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    // input() prompts without a newline, then print() separates with a space.
    assert_eq!(done.stdout, ["1º numero: 2º numero: Somar:  25"]);
    server.line_containing("add(15, 10) = 25");
}

#[test]
fn the_exercise_in_python_gets_all_five_and_faults() {
    let server = start_server(&[]);
    let done = run_python(EXERCISE_CLIENT, &[&port(&server)], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            "Somar: 25",
            "Subtrair: 5",
            "Multiplicar: 150",
            "Potência: 576650390625",
            "Dividir: 1.5",
            "doubles: 0.3 10",
            "calculate: [('add', 15), ('div', {'faultCode': 1, 'faultString': 'division by zero'}), ('mul', 0), ('pow', 1), ('sub', 15)]",
            "methods: add calculate div mul pow sub system.listMethods system.methodHelp system.methodSignature",
            "fault: 1 division by zero",
            "fault: -32601",
        ]
    );
}

#[test]
fn python_json_and_urllib_speak_json_rpc_to_our_server() {
    let server = start_server(&[]);
    let done = run_python(JSON_URLLIB_CLIENT, &[&port(&server)], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            "add 25",
            "pow 576650390625",
            "div 1.5",
            "big 332525673007965087890625",
            "div0 1 division by zero",
            "sqrt -32601",
        ]
    );
}

#[test]
fn a_batch_gets_one_reply_per_call_and_none_for_the_notification() {
    let server = start_server(&[]);
    let done = run_python(BATCH_CLIENT, &[&port(&server)], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            "replies 4",
            "1 result 25",
            "2 error 1",
            "3 result 0.3",
            "4 error -32601",
        ]
    );
}

#[test]
fn pythons_numbers_cross_both_protocols_as_the_readme_says() {
    let server = start_server(&[]);
    let done = run_python(NUMBERS_CLIENT, &[&port(&server)], "");
    assert!(done.status.success(), "python failed: {}", done.stderr);
    assert_eq!(
        done.stdout,
        [
            "mul 1e+308",
            "div True True True",
            "fault 7 the result 2e+308 does not fit XML-RPC's numbers (64-bit integers, doubles); JSON-RPC carries it exactly",
            "json 10000000000000000000000000000.1",
        ]
    );
}

#[test]
fn our_client_calls_pythons_simple_xmlrpc_server() {
    let mut python = spawn_python(PYTHON_SERVER, &[]);
    let addr = python.wait_listening().to_owned();
    let done = client()
        .spawn(&["--connect", &addr, "--transport", "xml", "15", "10"])
        .finish();
    assert!(done.status.success(), "client failed: {}", done.stderr);
    let lines = done.stdout;
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0], "Somar: 25");
    assert_eq!(lines[1], "Subtrair: 5");
    assert_eq!(lines[2], "Multiplicar: 150");
    // Python computes 15 ** 10 but cannot send it: XML-RPC's <int> has 32
    // bits and Python's marshaller refuses larger ints with a fault.
    assert!(
        lines[3].starts_with("Potência: error: ") && lines[3].contains("OverflowError"),
        "{}",
        lines[3]
    );
    assert_eq!(lines[4], "Dividir: 1.5");
}
