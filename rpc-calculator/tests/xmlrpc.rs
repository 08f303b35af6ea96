//! XML-RPC at `/RPC2` on the same port: the envelope as Python writes it,
//! both number types, introspection, and faults for every kind of bad call.

mod support;

use support::{fault_code, post_xml, start_server, xml_call};

/// The text of the single `<value>` in a successful response.
fn value_of(xml: &str) -> String {
    assert!(!xml.contains("<fault>"), "a fault: {xml}");
    let start = xml.find("<value>").expect("a value") + "<value>".len();
    let end = xml.rfind("</value>").expect("a value");
    xml[start..end].trim().to_owned()
}

#[test]
fn python_ints_are_added() {
    let server = start_server(&[]);
    let response = post_xml(
        &server,
        &xml_call("add", &["<int>15</int>", "<int>10</int>"]),
    );
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/xml")),
        "{:?}",
        response.headers
    );
    let value = value_of(&response.body);
    assert!(
        value == "<i4>25</i4>" || value == "<int>25</int>",
        "{value}"
    );
}

#[test]
fn python_doubles_are_accepted() {
    let server = start_server(&[]);
    let response = post_xml(
        &server,
        &xml_call("add", &["<double>0.1</double>", "<double>0.2</double>"]),
    );
    assert_eq!(value_of(&response.body), "<double>0.3</double>");
    let response = post_xml(
        &server,
        &xml_call("mul", &["<int>3</int>", "<double>1.5</double>"]),
    );
    assert_eq!(value_of(&response.body), "<double>4.5</double>");
}

#[test]
fn a_power_beyond_32_bits_comes_back_as_i8() {
    let server = start_server(&[]);
    let response = post_xml(
        &server,
        &xml_call("pow", &["<int>15</int>", "<int>10</int>"]),
    );
    assert_eq!(value_of(&response.body), "<i8>576650390625</i8>");
}

#[test]
fn a_quotient_is_a_double() {
    let server = start_server(&[]);
    let response = post_xml(
        &server,
        &xml_call("div", &["<int>15</int>", "<int>10</int>"]),
    );
    assert_eq!(value_of(&response.body), "<double>1.5</double>");
}

#[test]
fn division_by_zero_is_a_fault() {
    let server = start_server(&[]);
    let response = post_xml(&server, &xml_call("div", &["<int>1</int>", "<int>0</int>"]));
    assert_eq!(
        response.status, 200,
        "XML-RPC faults travel in a 200 response"
    );
    assert_eq!(fault_code(&response.body), Some(1), "{}", response.body);
    assert!(
        response.body.contains("division by zero"),
        "{}",
        response.body
    );
}

#[test]
fn nan_and_infinity_are_invalid_params_faults() {
    let server = start_server(&[]);
    for bad in ["nan", "inf"] {
        let response = post_xml(
            &server,
            &xml_call("add", &[&format!("<double>{bad}</double>"), "<int>1</int>"]),
        );
        assert_eq!(
            fault_code(&response.body),
            Some(-32602),
            "{}",
            response.body
        );
    }
}

#[test]
fn an_unknown_method_is_a_method_not_found_fault() {
    let server = start_server(&[]);
    let response = post_xml(&server, &xml_call("sqrt", &["<int>4</int>"]));
    assert_eq!(
        fault_code(&response.body),
        Some(-32601),
        "{}",
        response.body
    );
}

#[test]
fn wrong_params_are_an_invalid_params_fault() {
    let server = start_server(&[]);
    for params in [
        vec!["<int>1</int>"],
        vec!["<string>abc</string>", "<int>1</int>"],
        vec!["<boolean>1</boolean>", "<int>1</int>"],
        vec!["<int>1</int>", "<int>2</int>", "<int>3</int>"],
    ] {
        let response = post_xml(&server, &xml_call("add", &params));
        assert_eq!(
            fault_code(&response.body),
            Some(-32602),
            "{params:?}: {}",
            response.body
        );
    }
}

#[test]
fn malformed_xml_is_a_parse_error_fault() {
    let server = start_server(&[]);
    let response = post_xml(
        &server,
        "<?xml version='1.0'?><methodCall><methodName>add</methodName><params></methodCall>",
    );
    assert_eq!(response.status, 200);
    assert_eq!(
        fault_code(&response.body),
        Some(-32700),
        "{}",
        response.body
    );
}

#[test]
fn a_body_that_is_not_xml_at_all_is_a_parse_error_fault() {
    let server = start_server(&[]);
    for body in [
        "not xml at all",
        "15 10",
        r#"{"jsonrpc":"2.0","id":1,"method":"add","params":[15,10]}"#,
        "<methodCall/> and then text",
        "<a/><b/>",
    ] {
        let response = post_xml(&server, body);
        assert_eq!(response.status, 200, "{body:?}");
        assert_eq!(
            fault_code(&response.body),
            Some(-32700),
            "{body:?}: {}",
            response.body
        );
    }
}

#[test]
fn xml_that_is_not_a_method_call_is_an_invalid_request_fault() {
    let server = start_server(&[]);
    let response = post_xml(&server, "<html><body>oi</body></html>");
    assert_eq!(
        fault_code(&response.body),
        Some(-32600),
        "{}",
        response.body
    );
}

#[test]
fn system_list_methods_lists_the_procedures() {
    let server = start_server(&[]);
    let response = post_xml(&server, &xml_call("system.listMethods", &[]));
    for method in [
        "add",
        "sub",
        "mul",
        "pow",
        "div",
        "calculate",
        "system.listMethods",
    ] {
        assert!(
            response.body.contains(&format!(">{method}<")),
            "{method} missing: {}",
            response.body
        );
    }
}

#[test]
fn calculate_returns_a_struct_of_the_five() {
    let server = start_server(&[]);
    let response = post_xml(
        &server,
        &xml_call("calculate", &["<int>15</int>", "<int>0</int>"]),
    );
    let body = &response.body;
    assert!(body.contains("<struct>"), "{body}");
    assert!(body.contains("<name>add</name>"), "{body}");
    assert!(body.contains("division by zero"), "{body}");
}

#[test]
fn get_on_rpc2_is_refused() {
    let server = start_server(&[]);
    let mut http = support::Http::connect(&server);
    http.send(format!("GET /RPC2 HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr()).as_bytes());
    let response = http.response();
    assert_eq!(response.status, 405);
}
