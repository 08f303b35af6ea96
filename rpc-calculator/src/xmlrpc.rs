//! XML-RPC, the slide's protocol: one `<methodCall>` in an HTTP POST to
//! `/RPC2`, one `<methodResponse>` back.
//!
//! The XML itself is read and written by [`dxr`], a maintained XML-RPC crate
//! (itself built on `quick-xml`); this module maps its values to and from
//! the calculator's numbers, dispatches the call to [`Procedures`], and
//! chooses the faults. These functions are pure: bytes in, bytes out, tested
//! without a socket.
//!
//! ```text
//! <?xml version='1.0'?>
//! <methodCall>
//!   <methodName>add</methodName>
//!   <params>
//!     <param><value><int>15</int></value></param>
//!     <param><value><int>10</int></value></param>
//!   </params>
//! </methodCall>
//! ```
//!
//! Types: Python's `xmlrpc.client` sends `15` as `<int>` and `1.5` as
//! `<double>`; both are accepted, as are `<i4>`, `<i8>` and a number in a
//! `<string>` (read exactly, every digit). A `<double>` is read as the
//! fewest digits that give back the same double (`0.1`, not
//! `0.1000000000000000055511151231257827`).
//!
//! XML-RPC's numbers are only 32- and 64-bit integers and doubles, so a
//! result ([`result_value`]) goes back as `<int>` when it fits 32 bits, as
//! `<i8>` (a common extension that Python reads) when it fits 64, and as
//! `<double>` when a double holds it (its shortest text is the result:
//! `1.5`, `0.3`). A result that was rounded anyway, a quotient that does
//! not end (`1 / 3`, `pow(3, -1)`), travels as the nearest double, as
//! Python's own server computes it. Any other result (`add(1e28, 0.1)`, an
//! exact 70-digit power) is a fault saying that JSON-RPC carries it exactly,
//! never a silently rounded number.
//!
//! The XML-RPC specification defines no fault codes. Protocol faults here
//! use the codes of the "specification for fault code interoperability"
//! that many servers share (the same numbers as JSON-RPC's), and arithmetic
//! faults the calculator's own [`crate::api::code`]s.

use crate::api::{self, error_code, label};
use crate::procedures::{Origin, Procedures};
use common::escape::Escaped;
use common::number::{Number, Operation};
use dxr::{Fault, FaultResponse, MethodCall, MethodResponse, Value};
use std::collections::BTreeMap;

/// The path the slide's server serves (`rpc_paths = ('/RPC2',)`), and the
/// one Python's `ServerProxy('http://host:port')` posts to when the URL has
/// no path.
pub const PATH: &str = "/RPC2";

/// Fault codes for protocol errors (fault code interoperability spec).
pub mod fault {
    /// The body is not well-formed XML.
    pub const PARSE_ERROR: i32 = -32700;
    /// Well-formed XML, but not an XML-RPC `<methodCall>`.
    pub const INVALID_REQUEST: i32 = -32600;
    /// No procedure of that name.
    pub const METHOD_NOT_FOUND: i32 = -32601;
    /// Wrong number or type of parameters.
    pub const INVALID_PARAMS: i32 = -32602;
    /// The server failed to build its answer.
    pub const INTERNAL_ERROR: i32 = -32603;
    /// The HTTP request itself was refused (too large, too slow).
    pub const TRANSPORT_ERROR: i32 = -32300;
}

/// The procedures an XML-RPC client can call, in the order
/// `system.listMethods` lists them (sorted, as Python's server does).
pub const METHODS: [&str; 9] = [
    "add",
    "calculate",
    "div",
    "mul",
    "pow",
    "sub",
    "system.listMethods",
    "system.methodHelp",
    "system.methodSignature",
];

/// Answer one XML-RPC request body with a `<methodResponse>` document,
/// holding either the result or a fault.
pub fn respond(body: &[u8], procedures: &Procedures, origin: Option<&Origin>) -> String {
    match call(body, procedures, origin) {
        Ok(value) => encode_response(value),
        Err(fault) => encode_fault(&fault),
    }
}

/// A `<methodResponse>` carrying `value`.
pub fn encode_response(value: Value) -> String {
    match (MethodResponse { value }).to_xml() {
        Ok(xml) => with_declaration(xml),
        Err(e) => encode_fault(&Fault::new(
            fault::INTERNAL_ERROR,
            format!("internal error: cannot encode the result: {e}"),
        )),
    }
}

/// A `<methodResponse>` carrying a `<fault>`.
pub fn encode_fault(fault: &Fault) -> String {
    match (FaultResponse {
        fault: fault.clone(),
    })
    .to_xml()
    {
        Ok(xml) => with_declaration(xml),
        // A code and a message cannot fail to encode; keep a fixed answer
        // rather than a panic for the impossible case.
        Err(_) => with_declaration(
            "<methodResponse><fault><value><struct>\
             <member><name>faultCode</name><value><int>-32603</int></value></member>\
             <member><name>faultString</name><value><string>internal error</string></value></member>\
             </struct></value></fault></methodResponse>"
                .to_owned(),
        ),
    }
}

fn with_declaration(xml: String) -> String {
    if xml.starts_with("<?xml") {
        xml
    } else {
        format!("<?xml version=\"1.0\"?>\n{xml}")
    }
}

/// Parse and run one call.
fn call(body: &[u8], procedures: &Procedures, origin: Option<&Origin>) -> Result<Value, Fault> {
    let text = std::str::from_utf8(body).map_err(|e| {
        Fault::new(
            fault::PARSE_ERROR,
            format!("parse error: the request is not UTF-8 text ({e})"),
        )
    })?;
    let call = MethodCall::from_xml(text).map_err(|_| diagnose(text))?;
    let params = &call.params;
    let name = call.name.as_ref();
    if let Some(op) = api::operation(name) {
        let (a, b) = two_numbers(name, params)?;
        return procedures
            .compute(origin, op, &a, &b)
            .map_err(|e| Fault::new(error_code(&e), e.to_string()))
            .and_then(|n| result_value(op, &a, &b, &n));
    }
    match name {
        "calculate" => {
            let (a, b) = two_numbers(name, params)?;
            let calc = procedures.calculate(origin, &a, &b);
            let mut members = BTreeMap::new();
            for op in Operation::ALL {
                let entry = match &calc.get(op).0 {
                    Ok(n) => result_value(op, &a, &b, n),
                    Err(e) => Err(Fault::new(e.code(), e.message().to_owned())),
                };
                members.insert(op.name().to_owned(), entry.unwrap_or_else(fault_struct));
            }
            Ok(Value::Struct(members))
        }
        "system.listMethods" => {
            no_params(name, params)?;
            Ok(Value::Array(
                METHODS
                    .iter()
                    .map(|m| Value::String((*m).to_owned()))
                    .collect(),
            ))
        }
        "system.methodHelp" => {
            let method = one_string(name, params)?;
            Ok(Value::String(help(method).unwrap_or_default().to_owned()))
        }
        "system.methodSignature" => {
            one_string(name, params)?;
            // What Python's SimpleXMLRPCServer answers: the parameter types
            // vary (int or double), so there is no one signature to give.
            Ok(Value::String("signatures not supported".to_owned()))
        }
        _ => {
            procedures.unknown(origin, name, &arguments(params));
            Err(Fault::new(
                fault::METHOD_NOT_FOUND,
                format!("method not found: {name:?}; system.listMethods lists them"),
            ))
        }
    }
}

/// The parameters of a call as the transcript shows them: `1, 2.5, "x"`,
/// and a type name for what is not a number or a string (`<struct>`).
fn arguments(params: &[Value]) -> String {
    params
        .iter()
        .map(|value| match value {
            Value::Integer(i) => i.to_string(),
            Value::Long(i) => i.to_string(),
            Value::Double(d) => d.to_string(),
            Value::Boolean(b) => b.to_string(),
            Value::String(s) => format!("\"{s}\""),
            other => format!("<{}>", kind(other)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The documentation `system.methodHelp` returns.
pub fn help(method: &str) -> Option<&'static str> {
    Some(match method {
        "add" => "add(a, b): a + b",
        "sub" => "sub(a, b): a - b",
        "mul" => "mul(a, b): a * b",
        "pow" => "pow(a, b): a to the power b",
        "div" => "div(a, b): a / b, a decimal quotient",
        "calculate" => "calculate(a, b): a struct with add, sub, mul, pow and div",
        "system.listMethods" => "system.listMethods(): the names of the methods",
        "system.methodHelp" => "system.methodHelp(name): what a method does",
        "system.methodSignature" => "system.methodSignature(name): not supported",
        _ => return None,
    })
}

/// A failed `calculate` entry: a struct shaped like a fault.
fn fault_struct(fault: Fault) -> Value {
    let mut members = BTreeMap::new();
    members.insert("faultCode".to_owned(), Value::Integer(fault.code()));
    members.insert(
        "faultString".to_owned(),
        Value::String(fault.string().to_owned()),
    );
    Value::Struct(members)
}

fn invalid_params(message: String) -> Fault {
    Fault::new(fault::INVALID_PARAMS, format!("invalid params: {message}"))
}

fn two_numbers(method: &str, params: &[Value]) -> Result<(Number, Number), Fault> {
    match params {
        [a, b] => {
            let a = number_from_value(a).map_err(|e| invalid_params(format!("a: {e}")))?;
            let b = number_from_value(b).map_err(|e| invalid_params(format!("b: {e}")))?;
            Ok((a, b))
        }
        _ => Err(invalid_params(format!(
            "{method} takes 2 numbers (a, b), got {} parameter(s)",
            params.len()
        ))),
    }
}

fn no_params(method: &str, params: &[Value]) -> Result<(), Fault> {
    if params.is_empty() {
        Ok(())
    } else {
        Err(invalid_params(format!(
            "{method} takes no parameters, got {}",
            params.len()
        )))
    }
}

fn one_string<'a>(method: &str, params: &'a [Value]) -> Result<&'a str, Fault> {
    match params {
        [Value::String(s)] => Ok(s),
        _ => Err(invalid_params(format!("{method} takes one method name"))),
    }
}

/// The name of a value's XML-RPC type, for error messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) => "int",
        Value::Long(_) => "i8",
        Value::Boolean(_) => "boolean",
        Value::String(_) => "string",
        Value::Double(_) => "double",
        Value::DateTime(_) => "dateTime.iso8601",
        Value::Base64(_) => "base64",
        Value::Struct(_) => "struct",
        Value::Array(_) => "array",
        _ => "unknown type",
    }
}

/// The number an XML-RPC value holds: `<int>`/`<i4>`, `<i8>`, `<double>`
/// (refusing NaN and infinities) or a `<string>` with a number in it.
pub fn number_from_value(value: &Value) -> Result<Number, String> {
    match value {
        Value::Integer(i) => Ok(Number::from(i64::from(*i))),
        Value::Long(l) => Ok(Number::from(*l)),
        Value::Double(d) => Number::from_f64(*d).map_err(|e| e.to_string()),
        Value::String(s) => s
            .parse()
            .map_err(|e: common::number::ParseNumberError| e.to_string()),
        other => Err(format!(
            "expected a number (<int>, <i8> or <double>), got <{}>",
            kind(other)
        )),
    }
}

/// The XML-RPC value that holds `n` exactly: `<int>` or `<i8>` for a whole
/// number that fits 64 bits, `<double>` for a number a double holds (the
/// double's shortest text is `n`: `0.1`, `1e+308`); `None` for any other.
pub fn exact_value(n: &Number) -> Option<Value> {
    if let Some(i) = n.to_i64() {
        return Some(i32::try_from(i).map_or(Value::Long(i), Value::Integer));
    }
    let double = n.to_f64();
    (Number::from_f64(double).as_ref() == Ok(n)).then_some(Value::Double(double))
}

/// The XML-RPC value that carries `result`, the result of `op(a, b)`:
/// exactly when an XML-RPC number holds it ([`exact_value`]); as the nearest
/// double when the result was rounded anyway (a quotient that does not end)
/// and that double is a normal one; otherwise a fault that says JSON-RPC
/// carries it exactly.
pub fn result_value(
    op: Operation,
    a: &Number,
    b: &Number,
    result: &Number,
) -> Result<Value, Fault> {
    if let Some(value) = exact_value(result) {
        return Ok(value);
    }
    let nearest = result.to_f64();
    // A subnormal double has too few bits to be "the nearest double" in any
    // useful sense (1e-323 / 3 would arrive as 5e-324), and 0 or an
    // infinity is not the quotient at all.
    if rounded(op, a, b, result) && nearest.is_normal() {
        return Ok(Value::Double(nearest));
    }
    let text = result.to_string();
    Err(Fault::new(
        api::code::NOT_IN_XML_RPC,
        format!(
            "the result {} does not fit XML-RPC's numbers (64-bit integers, doubles); \
             JSON-RPC carries it exactly",
            Escaped::new(&text, SHOWN_DIGITS)
        ),
    ))
}

/// How many characters of a result a fault quotes (a result can have
/// thousands of digits).
const SHOWN_DIGITS: usize = 60;

/// True if `result` is not the exact value of `op(a, b)` but a rounded one:
/// a quotient that does not end, rounded to 34 digits (a negative power
/// divides, so `pow(3, -1)` too), or a fractional power, computed in
/// doubles. Sums, differences, products and the other powers are exact.
fn rounded(op: Operation, a: &Number, b: &Number, result: &Number) -> bool {
    let one = Number::from(1i64);
    match op {
        // An exact quotient times the divisor gives back the dividend.
        Operation::Div => result.checked_mul(b).as_ref() != Ok(a),
        // a^-n ends exactly when 1/a does: the same prime factors divide.
        Operation::Pow if b.is_integer() => {
            b.is_negative()
                && one
                    .checked_div(a)
                    .and_then(|inverse| inverse.checked_mul(a))
                    .as_ref()
                    != Ok(&one)
        }
        Operation::Pow => true,
        Operation::Add | Operation::Sub | Operation::Mul => false,
    }
}

/// Why a body that dxr could not read is not an XML-RPC call: not
/// well-formed XML (-32700), or XML of the wrong shape (-32600).
///
/// A well-formed document (XML 1.0, section 2.1) is one root element,
/// properly nested and closed, with nothing but whitespace, comments and
/// processing instructions around it. So `not xml at all`, a JSON body, or
/// two elements side by side fail to parse; `<html>...</html>` parses, and
/// is simply not a `<methodCall>`.
fn diagnose(text: &str) -> Fault {
    use quick_xml::events::Event;
    let parse_error = |why: String| Fault::new(fault::PARSE_ERROR, format!("parse error: {why}"));
    if text.trim().is_empty() {
        return parse_error("the request body is empty".to_owned());
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut open: Vec<String> = Vec::new();
    let mut seen_root = false;
    loop {
        let at = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                return parse_error(format!(
                    "not well-formed XML at byte {}: {e}",
                    reader.error_position()
                ));
            }
        };
        let outside = open.is_empty();
        match event {
            Event::Start(ref tag) | Event::Empty(ref tag) => {
                if outside && seen_root {
                    return parse_error(format!(
                        "not well-formed XML at byte {at}: a second root element \
                         (a document holds one)"
                    ));
                }
                seen_root = true;
                if let Some(Err(e)) = tag.attributes().find(Result::is_err) {
                    return parse_error(format!("not well-formed XML at byte {at}: {e}"));
                }
                if let Event::Start(tag) = event {
                    open.push(tag.name().as_ref().to_owned());
                }
            }
            Event::End(_) => {
                open.pop();
            }
            Event::Text(ref t) if outside && !t.trim().is_empty() => {
                return parse_error(format!("not XML: text outside any element at byte {at}"));
            }
            Event::CData(_) | Event::GeneralRef(_) if outside => {
                return parse_error(format!("not XML: text outside any element at byte {at}"));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(tag) = open.last() {
        let tag = Escaped::new(tag, 40);
        return parse_error(format!(
            "not well-formed XML: <{tag}> is not closed before the end"
        ));
    }
    if !seen_root {
        return parse_error("not XML: no element in the body".to_owned());
    }
    Fault::new(
        fault::INVALID_REQUEST,
        "invalid XML-RPC: expected <methodCall> with a <methodName> and <params> \
         of typed <value>s (such as <int>15</int> or <double>1.5</double>)"
            .to_owned(),
    )
}

/// An XML-RPC request calling `method` with `params` (for clients).
pub fn encode_call(method: &str, params: Vec<Value>) -> Result<String, String> {
    MethodCall {
        name: method.into(),
        params,
    }
    .to_xml()
    .map(with_declaration)
    .map_err(|e| e.to_string())
}

/// Read a `<methodResponse>`: the value, or the fault (for clients).
pub fn decode_response(text: &str) -> Result<Result<Value, Fault>, String> {
    if let Ok(response) = MethodResponse::from_xml(text) {
        return Ok(Ok(response.value));
    }
    match FaultResponse::from_xml(text) {
        Ok(response) => Ok(Err(response.fault)),
        Err(_) => Err(diagnose(text).string().to_owned()),
    }
}

/// One entry of a `calculate` struct: an operation and its number or fault.
pub type XmlOutcome = (Operation, Result<Number, Fault>);

/// The five labelled results of a `calculate` struct (for clients).
pub fn calculation_from_value(value: &Value) -> Result<Vec<XmlOutcome>, String> {
    let Value::Struct(members) = value else {
        return Err(format!(
            "expected a struct from calculate, got <{}>",
            kind(value)
        ));
    };
    Operation::ALL
        .iter()
        .map(|op| {
            let name = op.name();
            let entry = members.get(name).ok_or_else(|| {
                format!("the struct from calculate has no {name:?} ({})", label(*op))
            })?;
            let result = match entry {
                Value::Struct(fault) if fault.contains_key("faultCode") => {
                    let code = match fault.get("faultCode") {
                        Some(Value::Integer(c)) => *c,
                        _ => fault::INTERNAL_ERROR,
                    };
                    let message = match fault.get("faultString") {
                        Some(Value::String(s)) => s.clone(),
                        _ => String::new(),
                    };
                    Err(Fault::new(code, message))
                }
                other => Ok(number_from_value(other)?),
            };
            Ok((*op, result))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_xml(method: &str, params: &str) -> String {
        format!(
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>{method}</methodName>\n<params>\n{params}</params>\n</methodCall>\n"
        )
    }

    fn param(typed: &str) -> String {
        format!("<param>\n<value>{typed}</value>\n</param>\n")
    }

    fn answer(body: &str) -> Result<Value, Fault> {
        let xml = respond(body.as_bytes(), &Procedures::quiet(), None);
        decode_response(&xml).expect("a methodResponse")
    }

    #[test]
    fn python_ints_add_up() {
        let body = call_xml("add", &(param("<int>15</int>") + &param("<int>10</int>")));
        assert_eq!(answer(&body), Ok(Value::Integer(25)));
    }

    #[test]
    fn python_doubles_are_accepted_too() {
        let body = call_xml(
            "add",
            &(param("<double>0.1</double>") + &param("<double>0.2</double>")),
        );
        assert_eq!(answer(&body), Ok(Value::Double(0.3)));
        let body = call_xml(
            "mul",
            &(param("<int>3</int>") + &param("<double>1.5</double>")),
        );
        assert_eq!(answer(&body), Ok(Value::Double(4.5)));
    }

    #[test]
    fn big_powers_come_back_as_i8_and_quotients_as_doubles() {
        let body = call_xml("pow", &(param("<int>15</int>") + &param("<int>10</int>")));
        assert_eq!(answer(&body), Ok(Value::Long(576_650_390_625)));
        let body = call_xml("div", &(param("<i4>15</i4>") + &param("<i8>10</i8>")));
        assert_eq!(answer(&body), Ok(Value::Double(1.5)));
    }

    #[test]
    fn a_result_no_xml_rpc_type_holds_is_a_fault() {
        let body = call_xml("pow", &(param("<int>15</int>") + &param("<int>20</int>")));
        assert_eq!(
            answer(&body),
            Err(Fault::new(
                api::code::NOT_IN_XML_RPC,
                "the result 332525673007965087890625 does not fit XML-RPC's numbers \
                 (64-bit integers, doubles); JSON-RPC carries it exactly"
                    .into()
            ))
        );
    }

    fn n(s: &str) -> Number {
        s.parse().expect("a number")
    }

    /// What `op(a, b)` is over XML-RPC.
    fn carried(op: Operation, a: &str, b: &str) -> Result<Value, i32> {
        let (a, b) = (n(a), n(b));
        let result = op.apply(&a, &b).expect("computes");
        result_value(op, &a, &b, &result).map_err(|f| f.code())
    }

    #[test]
    fn results_travel_exactly_or_rounded_only_when_they_were_rounded_anyway() {
        use Operation::{Add, Div, Mul, Pow, Sub};
        let not_carried = Err(api::code::NOT_IN_XML_RPC);
        // Integers that fit, and what a double holds.
        assert_eq!(carried(Add, "15", "10"), Ok(Value::Integer(25)));
        assert_eq!(carried(Mul, "1e10", "10"), Ok(Value::Long(100_000_000_000)));
        assert_eq!(carried(Add, "0.1", "0.2"), Ok(Value::Double(0.3)));
        assert_eq!(carried(Div, "1e-28", "1e28"), Ok(Value::Double(1e-56)));
        assert_eq!(carried(Mul, "1e308", "1"), Ok(Value::Double(1e308)));
        assert_eq!(carried(Pow, "2", "0.5"), Ok(Value::Double(2f64.sqrt())));
        // Quotients that do not end: rounded anyway, so the nearest double.
        assert_eq!(carried(Div, "1", "3"), Ok(Value::Double(1.0 / 3.0)));
        assert_eq!(carried(Div, "1e-28", "3"), Ok(Value::Double(1e-28 / 3.0)));
        assert_eq!(carried(Pow, "3", "-1"), Ok(Value::Double(1.0 / 3.0)));
        // ... unless that double is not a normal one.
        assert_eq!(carried(Div, "1e-400", "3"), not_carried);
        assert_eq!(carried(Div, "1e-320", "3"), not_carried);
        assert_eq!(carried(Div, "1e400", "3"), not_carried);
        // Exact results a double would round: a fault, not a rounded number.
        assert_eq!(carried(Add, "1e28", "0.1"), not_carried);
        assert_eq!(carried(Sub, "1e28", "0.1"), not_carried);
        assert_eq!(carried(Add, "1e308", "1e308"), not_carried);
        assert_eq!(carried(Pow, "2", "-100"), not_carried);
        assert_eq!(carried(Div, "1", "1024"), Ok(Value::Double(1.0 / 1024.0)));
        assert_eq!(carried(Div, "1", "2e50"), Ok(Value::Double(5e-51)));
        assert_eq!(carried(Div, "123456789012345678901", "1000"), not_carried);
    }

    #[test]
    fn arithmetic_errors_are_faults_with_the_calculators_codes() {
        let body = call_xml("div", &(param("<int>1</int>") + &param("<int>0</int>")));
        assert_eq!(
            answer(&body),
            Err(Fault::new(
                api::code::DIVISION_BY_ZERO,
                "division by zero".into()
            ))
        );
    }

    #[test]
    fn nan_and_infinity_are_invalid_params() {
        for bad in ["nan", "inf", "-inf"] {
            let body = call_xml(
                "add",
                &(param(&format!("<double>{bad}</double>")) + &param("<int>1</int>")),
            );
            let fault = answer(&body).expect_err("a fault");
            assert_eq!(
                fault.code(),
                fault::INVALID_PARAMS,
                "{bad}: {}",
                fault.string()
            );
            assert!(
                fault.string().contains("not a finite number"),
                "{}",
                fault.string()
            );
        }
    }

    #[test]
    fn wrong_params_are_invalid_params() {
        let one = call_xml("add", &param("<int>1</int>"));
        assert_eq!(
            answer(&one).expect_err("fault").code(),
            fault::INVALID_PARAMS
        );
        let text = call_xml(
            "add",
            &(param("<string>abc</string>") + &param("<int>1</int>")),
        );
        let fault = answer(&text).expect_err("fault");
        assert_eq!(fault.code(), fault::INVALID_PARAMS);
        assert!(
            fault.string().contains("\"abc\" is not a number"),
            "{}",
            fault.string()
        );
        let boolean = call_xml(
            "add",
            &(param("<boolean>1</boolean>") + &param("<int>1</int>")),
        );
        assert!(
            answer(&boolean)
                .expect_err("fault")
                .string()
                .contains("got <boolean>")
        );
    }

    #[test]
    fn unknown_methods_are_method_not_found() {
        let body = call_xml("sqrt", &param("<int>4</int>"));
        assert_eq!(
            answer(&body).expect_err("fault").code(),
            fault::METHOD_NOT_FOUND
        );
    }

    #[test]
    fn malformed_xml_is_a_parse_error_and_wrong_xml_an_invalid_request() {
        for bad in [
            "",
            "<methodCall><methodName>add</methodName><params></methodCall>",
            "<methodCall><methodName>add</methodName>",
            "not xml at all <",
            "not xml at all",
            "15 10",
            r#"{"jsonrpc":"2.0","id":1,"method":"add","params":[15,10]}"#,
            "<methodCall/> and then text",
            "<a/><b/>",
            "<a x></a>",
            "<!-- only a comment -->",
        ] {
            let fault = answer(bad).expect_err("fault");
            assert_eq!(
                fault.code(),
                fault::PARSE_ERROR,
                "{bad:?}: {}",
                fault.string()
            );
        }
        let fault = answer("<html><body>hello</body></html>").expect_err("fault");
        assert_eq!(fault.code(), fault::INVALID_REQUEST, "{}", fault.string());
        let fault = respond(b"\xff\xfe", &Procedures::quiet(), None);
        assert!(fault.contains("-32700"), "{fault}");
    }

    #[test]
    fn introspection_lists_the_methods() {
        let body = call_xml("system.listMethods", "");
        let Ok(Value::Array(names)) = answer(&body) else {
            panic!("an array of names");
        };
        assert_eq!(names.len(), METHODS.len());
        assert!(names.contains(&Value::String("add".into())));
        let help = call_xml("system.methodHelp", &param("<string>pow</string>"));
        assert_eq!(
            answer(&help),
            Ok(Value::String("pow(a, b): a to the power b".into()))
        );
    }

    #[test]
    fn calculate_returns_a_struct_with_faults_in_place() {
        let body = call_xml(
            "calculate",
            &(param("<int>15</int>") + &param("<int>0</int>")),
        );
        let value = answer(&body).expect("a struct");
        let results = calculation_from_value(&value).expect("five entries");
        let shown: Vec<String> = results
            .iter()
            .map(|(op, r)| match r {
                Ok(n) => format!("{}={n}", op.name()),
                Err(f) => format!("{}!{}", op.name(), f.code()),
            })
            .collect();
        assert_eq!(shown, ["add=15", "sub=15", "mul=0", "pow=1", "div!1"]);
    }

    #[test]
    fn requests_and_responses_round_trip() {
        let xml =
            encode_call("add", vec![Value::Integer(15), Value::Double(2.5)]).expect("encodes");
        assert!(xml.starts_with("<?xml"));
        assert!(xml.contains("<methodName>add</methodName>"), "{xml}");
        assert_eq!(answer(&xml), Ok(Value::Double(17.5)));
    }
}
