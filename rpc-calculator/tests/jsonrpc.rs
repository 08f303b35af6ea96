//! JSON-RPC 2.0 over HTTP and WebSocket: the five procedures and
//! `calculate`, exact arithmetic, and the protocol's standard errors.

mod support;

use common::number::Number;
use jsonrpsee::core::client::ClientT as _;
use jsonrpsee::rpc_params;
use rpc_calculator::api::CalculatorClient as _;
use serde_json::json;
use support::{Http, WebSocket, json_rpc, post_json, result_text, runtime, start_server};

#[test]
fn the_five_procedures_answer_the_exercise() {
    let server = start_server(&[]);
    for (method, expected) in [
        ("add", json!(25)),
        ("sub", json!(5)),
        ("mul", json!(150)),
        ("pow", json!(576_650_390_625_i64)),
        ("div", json!(1.5)),
    ] {
        let reply = json_rpc(&server, method, json!([15, 10]));
        assert_eq!(reply["jsonrpc"], "2.0");
        assert_eq!(reply["id"], 1);
        assert_eq!(reply["result"], expected, "{method}: {reply}");
    }
}

#[test]
fn integers_stay_integers_and_quotients_are_decimals() {
    let server = start_server(&[]);
    assert_eq!(result_text(&server, "add", "[15,10]"), "25");
    assert_eq!(result_text(&server, "div", "[15,10]"), "1.5");
    assert_eq!(result_text(&server, "div", "[8,4]"), "2");
    assert_eq!(result_text(&server, "pow", "[15,10]"), "576650390625");
    assert_eq!(result_text(&server, "add", "[0.1,0.2]"), "0.3");
    assert_eq!(result_text(&server, "mul", "[-1.5,2]"), "-3");
}

#[test]
fn large_numbers_cross_the_wire_exactly_both_ways() {
    let server = start_server(&[]);
    // Beyond 2^53 a double would round these; the reply must not.
    assert_eq!(
        result_text(&server, "add", "[12345678901234567890123,1]"),
        "12345678901234567890124"
    );
    assert_eq!(
        result_text(&server, "pow", "[15,20]"),
        "332525673007965087890625"
    );
    // A quotient that does not end: 34 significant digits, half to even.
    assert_eq!(
        result_text(&server, "div", "[1,3]"),
        "0.3333333333333333333333333333333333"
    );
    assert_eq!(
        result_text(&server, "div", "[2,3]"),
        "0.6666666666666666666666666666666667"
    );
}

#[test]
fn params_may_be_given_by_name() {
    let server = start_server(&[]);
    let reply = json_rpc(&server, "sub", json!({"a": 15, "b": 10}));
    assert_eq!(reply["result"], 5);
}

#[test]
fn calculate_returns_all_five_with_errors_in_place() {
    let server = start_server(&[]);
    let reply = json_rpc(&server, "calculate", json!([15, 10]));
    assert_eq!(
        reply["result"],
        json!({"add": 25, "sub": 5, "mul": 150, "pow": 576_650_390_625_i64, "div": 1.5})
    );
    let reply = json_rpc(&server, "calculate", json!([15, 0]));
    assert_eq!(reply["result"]["add"], 15);
    assert_eq!(reply["result"]["pow"], 1);
    assert_eq!(
        reply["result"]["div"],
        json!({"code": 1, "message": "division by zero"})
    );
}

#[test]
fn division_by_zero_is_an_error_object_not_a_number() {
    let server = start_server(&[]);
    let reply = json_rpc(&server, "div", json!([1, 0]));
    assert!(reply.get("result").is_none(), "{reply}");
    assert_eq!(
        reply["error"],
        json!({"code": 1, "message": "division by zero"})
    );
    assert_eq!(reply["id"], 1);
}

#[test]
fn powers_the_28_digit_type_refused_are_exact() {
    let server = start_server(&[]);
    for (params, expected) in [
        (
            "[15,40]",
            "110573323209400121422731899656355381011962890625",
        ),
        ("[0.5,-100]", "1267650600228229401496703205376"),
        (
            "[2,-100]",
            "7.888609052210118054117285652827862296732064351090230047702789306640625e-31",
        ),
        (
            "[0.5,100]",
            "7.888609052210118054117285652827862296732064351090230047702789306640625e-31",
        ),
        ("[3,-1]", "0.3333333333333333333333333333333333"),
        // A fractional power is a double, written with the fewest digits.
        ("[10,-30.5]", "3.162277660168379e-31"),
        ("[2,0.5]", "1.4142135623730951"),
    ] {
        assert_eq!(
            result_text(&server, "pow", params),
            expected,
            "pow {params}"
        );
    }
}

#[test]
fn a_product_of_large_numbers_is_exact() {
    let server = start_server(&[]);
    assert_eq!(
        result_text(
            &server,
            "mul",
            r#"["9999999999999999999999999999","9999999999999999999999999999"]"#
        ),
        "99999999999999999999999999980000000000000000000000000001"
    );
}

#[test]
fn powers_beyond_the_bounds_are_refused_saying_which() {
    let server = start_server(&[]);
    for (params, code, message) in [
        (
            json!([10, 10001]),
            2,
            "the result is too large: an exact power must be below 1e+10001",
        ),
        (
            json!([10, -10001]),
            3,
            "the result is too small: an exact power must be at least 1e-10000",
        ),
        (
            json!([3, 7000]),
            5,
            "the exact result would need more than 3000 digits, the most a power may have",
        ),
        (
            json!([10, 400.5]),
            2,
            "the result is too large: a fractional power is computed in binary floating point, whose largest number is about 1.8e+308",
        ),
        (
            json!([10, -400.5]),
            3,
            "the result is too small: a fractional power is computed in binary floating point, whose smallest normal number is about 2.2e-308",
        ),
        (
            json!(["1e500", 0.5]),
            6,
            "\"1e+500\" is beyond binary floating point (about 2.2e-308 to 1.8e+308), in which a fractional power is computed",
        ),
        (json!([0, -1]), 1, "division by zero"),
    ] {
        let reply = json_rpc(&server, "pow", params.clone());
        assert_eq!(
            reply["error"],
            json!({"code": code, "message": message}),
            "pow {params}"
        );
    }
}

#[test]
fn a_result_that_is_not_a_real_number_is_an_error() {
    let server = start_server(&[]);
    let reply = json_rpc(&server, "pow", json!([-8, 0.5]));
    assert_eq!(reply["error"]["code"], 4, "{reply}");
    assert_eq!(reply["error"]["message"], "the result is not a real number");
}

#[test]
fn nan_infinity_and_text_are_invalid_params() {
    let server = start_server(&[]);
    for (params, why) in [
        (json!(["NaN", 1]), "not a finite number"),
        (json!(["inf", 1]), "not a finite number"),
        (json!(["abc", 1]), "\"abc\" is not a number"),
        (json!([true, 1]), "true is not a number"),
    ] {
        let reply = json_rpc(&server, "add", params.clone());
        assert_eq!(reply["error"]["code"], -32602, "{params}: {reply}");
        assert_eq!(reply["error"]["message"], "Invalid params");
        let data = reply["error"]["data"].as_str().unwrap_or_default();
        assert!(data.contains(why), "{params}: {reply}");
    }
}

#[test]
fn numbers_beyond_the_input_bounds_are_invalid_params_saying_the_bound() {
    let server = start_server(&[]);
    // Valid JSON numbers, beyond what a number may be; the reason quotes the
    // text as it was sent.
    for (params, why) in [
        (
            "[1e1000,1]",
            r#""1e1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#.to_owned(),
        ),
        (
            "[1,1e-1000]",
            r#""1e-1000" is out of range: a number must be 0 or between 1e-999 and 1e+1000 in magnitude"#.to_owned(),
        ),
        (
            &format!("[{},1]", "9".repeat(101)),
            format!(
                r#""{}… (101 bytes)" has more than 100 significant digits, the most a number may have"#,
                "9".repeat(60)
            ),
        ),
    ] {
        let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"add","params":{params}}}"#);
        let reply = post_json(&server, &body).json();
        assert_eq!(
            reply["error"],
            json!({"code": -32602, "message": "Invalid params", "data": why}),
            "{params}"
        );
    }
}

#[test]
fn a_wrong_number_of_params_is_invalid_params() {
    let server = start_server(&[]);
    let reply = json_rpc(&server, "add", json!([1]));
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    let reply = json_rpc(&server, "add", json!({"a": 1}));
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
}

/// Every procedure takes exactly two numbers, `a` and `b`.
const TWO_NUMBER_METHODS: [&str; 6] = ["add", "sub", "mul", "pow", "div", "calculate"];

/// The error object that refuses `method`'s params because of `why`.
fn invalid_params(why: String) -> serde_json::Value {
    json!({"code": -32602, "message": "Invalid params", "data": why})
}

#[test]
fn extra_positional_params_are_invalid_params_naming_their_positions() {
    let server = start_server(&[]);
    for method in TWO_NUMBER_METHODS {
        let reply = json_rpc(&server, method, json!([1, 2, 3]));
        assert!(reply.get("result").is_none(), "{method}: {reply}");
        assert_eq!(
            reply["error"],
            invalid_params(format!(
                "{method} takes 2 parameters (a, b), got 3; extra: position 3"
            )),
            "{method}"
        );
        let reply = json_rpc(&server, method, json!([1, 2, 3, 4]));
        assert_eq!(
            reply["error"],
            invalid_params(format!(
                "{method} takes 2 parameters (a, b), got 4; extra: positions 3 to 4"
            )),
            "{method}"
        );
    }
}

#[test]
fn extra_named_params_are_invalid_params_naming_them() {
    let server = start_server(&[]);
    for method in TWO_NUMBER_METHODS {
        let reply = json_rpc(&server, method, json!({"a": 1, "b": 2, "c": 3}));
        assert!(reply.get("result").is_none(), "{method}: {reply}");
        assert_eq!(
            reply["error"],
            invalid_params(format!("{method} takes 2 parameters (a, b); extra: \"c\"")),
            "{method}"
        );
        let reply = json_rpc(&server, method, json!({"d": 4, "a": 1, "b": 2, "c": 3}));
        assert_eq!(
            reply["error"],
            invalid_params(format!(
                "{method} takes 2 parameters (a, b); extra: \"c\", \"d\""
            )),
            "{method}"
        );
    }
}

#[test]
fn a_batch_entry_with_extra_params_is_refused_alone() {
    let server = start_server(&[]);
    let response = post_json(
        &server,
        r#"[{"jsonrpc":"2.0","id":1,"method":"add","params":[15,10]},
            {"jsonrpc":"2.0","id":2,"method":"add","params":[1,2,3]}]"#,
    );
    let mut replies: Vec<serde_json::Value> =
        serde_json::from_str(&response.body).expect("a JSON array");
    replies.sort_by_key(|r| r["id"].as_i64());
    assert_eq!(
        replies,
        [
            json!({"jsonrpc": "2.0", "id": 1, "result": 25}),
            json!({"jsonrpc": "2.0", "id": 2, "error": invalid_params(
                "add takes 2 parameters (a, b), got 3; extra: position 3".to_owned()
            )}),
        ]
    );
}

#[test]
fn extra_params_over_a_websocket_are_invalid_params_naming_them() {
    let server = start_server(&[]);
    let mut ws = WebSocket::connect(&server);
    for method in TWO_NUMBER_METHODS {
        for (params, why) in [
            (
                "[1,2,3]".to_owned(),
                format!("{method} takes 2 parameters (a, b), got 3; extra: position 3"),
            ),
            (
                r#"{"a":1,"b":2,"c":3}"#.to_owned(),
                format!("{method} takes 2 parameters (a, b); extra: \"c\""),
            ),
        ] {
            let reply = ws.call(&format!(
                r#"{{"jsonrpc":"2.0","id":9,"method":"{method}","params":{params}}}"#
            ));
            let reply: serde_json::Value = serde_json::from_str(&reply).expect("a JSON reply");
            assert_eq!(
                reply,
                json!({"jsonrpc": "2.0", "id": 9, "error": invalid_params(why)}),
                "{method} {params}"
            );
        }
    }
}

#[test]
fn an_unknown_method_is_method_not_found() {
    let server = start_server(&[]);
    let reply = json_rpc(&server, "sqrt", json!([4]));
    assert_eq!(reply["error"]["code"], -32601, "{reply}");
    assert_eq!(reply["error"]["message"], "Method not found");
}

#[test]
fn malformed_json_is_a_parse_error() {
    let server = start_server(&[]);
    for body in [
        r#"{"jsonrpc":"2.0","id":1,"method":"add","params":[1,"#,
        "hello",
        r#"{"jsonrpc":"2.0","id":1,"method":"add","params":[NaN,1]}"#,
    ] {
        let response = post_json(&server, body);
        let reply = response.json();
        assert_eq!(reply["error"]["code"], -32700, "{body}: {reply}");
        assert_eq!(reply["id"], json!(null));
    }
}

#[test]
fn valid_json_that_is_not_a_request_is_an_invalid_request() {
    let server = start_server(&[]);
    // The specification's own example.
    let response = post_json(
        &server,
        r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
    );
    let reply = response.json();
    assert_eq!(reply["error"]["code"], -32600, "{reply}");
    assert_eq!(reply["id"], json!(null));
}

#[test]
fn a_notification_gets_no_reply() {
    let server = start_server(&[]);
    let response = post_json(
        &server,
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#,
    );
    // JSON-RPC over HTTP answers a request made only of notifications with
    // 204 No Content: there is nothing to reply, and saying so is not an
    // empty 200 (which a client would try to parse).
    assert_eq!(response.status, 204, "{response:?}");
    assert!(response.body.is_empty(), "{response:?}");
}

#[test]
fn one_keep_alive_connection_carries_many_calls() {
    let server = start_server(&[]);
    let mut http = Http::connect(&server);
    for i in 0..20 {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"add","params":[{i},1]}}"#);
        let reply = http.post("/", "application/json", body.as_bytes()).json();
        assert_eq!(reply["id"], i);
        assert_eq!(reply["result"], i + 1);
    }
}

#[test]
fn the_same_calls_work_over_a_websocket() {
    let server = start_server(&[]);
    let url = format!("ws://{}/", server.addr());
    runtime().block_on(async move {
        let client = jsonrpsee_ws_client::WsClientBuilder::default()
            .build(&url)
            .await
            .expect("a WebSocket connection");
        let n = |i: i64| Number::from(i);
        assert_eq!(
            client.add(n(15), n(10)).await.expect("add").to_string(),
            "25"
        );
        assert_eq!(
            client.pow(n(15), n(10)).await.expect("pow").to_string(),
            "576650390625"
        );
        assert_eq!(
            client.div(n(15), n(10)).await.expect("div").to_string(),
            "1.5"
        );
        let err = client.div(n(1), n(0)).await.expect_err("division by zero");
        match err {
            jsonrpsee::core::ClientError::Call(obj) => {
                assert_eq!(obj.code(), 1);
                assert_eq!(obj.message(), "division by zero");
            }
            other => panic!("expected an error object, got {other}"),
        }
        let unknown: Result<serde_json::Value, _> = client.request("sqrt", rpc_params![4]).await;
        match unknown {
            Err(jsonrpsee::core::ClientError::Call(obj)) => assert_eq!(obj.code(), -32601),
            other => panic!("expected method not found, got {other:?}"),
        }
    });
}

#[test]
fn a_batch_over_a_websocket_is_answered_whole() {
    let server = start_server(&[]);
    let url = format!("ws://{}/", server.addr());
    runtime().block_on(async move {
        use futures::{SinkExt as _, StreamExt as _};
        use tokio_tungstenite::tungstenite::Message;
        let (mut ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("a WebSocket connection");
        let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"add","params":[15,10]},
                        {"jsonrpc":"2.0","id":2,"method":"div","params":[15,0]}]"#;
        ws.send(Message::text(batch)).await.expect("send");
        let reply = loop {
            match ws.next().await.expect("a reply").expect("a frame") {
                Message::Text(text) => break text,
                _ => continue,
            }
        };
        let mut replies: Vec<serde_json::Value> =
            serde_json::from_str(&reply).expect("a JSON array");
        replies.sort_by_key(|r| r["id"].as_i64());
        assert_eq!(replies[0]["result"], 25);
        assert_eq!(replies[1]["error"]["code"], 1);
    });
}
