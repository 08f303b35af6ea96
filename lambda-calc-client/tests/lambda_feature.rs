//! `tests/lambda.rs` is compiled only with the `lambda` feature (it needs
//! the server built as a Lambda function), so a plain `cargo test -p
//! lambda-calc-client` would leave it out without a word. This file is
//! compiled either way and says so, through the workspace's one skip
//! mechanism: a skip on stderr, a failure under `REQUIRE_ALL_TESTS=1`.

#[test]
fn the_lambda_event_tests_need_the_lambda_feature() {
    common::testing::require(
        "tests/lambda.rs, the server as an AWS Lambda function",
        cfg!(feature = "lambda"),
        "needs --features lambda",
    );
}
