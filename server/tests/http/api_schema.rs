//! The OpenAPI document is the truth, tried the way a generated client or
//! an attacker would: Schemathesis (a property-based tester, installed from
//! PyPI by `scripts/setup --test`) reads the document the server serves,
//! generates requests from every operation's schemas (valid ones and ones
//! the document forbids) with a read-and-write token, and runs every check
//! it has (`--checks all`: no server error, every answer as documented,
//! every forbidden request refused, every documented one accepted…). Any
//! finding fails the test. Runs when `WARDEN_SCHEMATHESIS` names the
//! program (`scripts/test` sets it); says so when it does not run, and
//! fails then if `WARDEN_REQUIRE_SCHEMATHESIS` is set (as in CI).

use crate::api::user_with_token;
use crate::common::*;

fn generous(c: &mut server::config::Config) {
    // The clock of a test server stands still: the minute's quota would
    // never come back, and the test is about shapes, not rates.
    c.api.quota = 1_000_000;
    c.api.busy_quota = 1_000_000;
    c.api.busy_in_flight = 1_000_000;
    // Its requests without a token, or with a wrong one, are part of the
    // test: the address's budget of refused tokens would stop the rest.
    c.api.refused_tokens.free_failures = 1_000_000;
}

on_both_backends!(generous => every_generated_request_is_answered_as_the_document_says);

async fn every_generated_request_is_answered_as_the_document_says(app: TestApp) {
    let program = std::env::var_os("WARDEN_SCHEMATHESIS").filter(|p| std::path::Path::new(p).is_file());
    if !needs_tool(
        program.is_some(),
        "WARDEN_REQUIRE_SCHEMATHESIS",
        "the OpenAPI property test needs Schemathesis (WARDEN_SCHEMATHESIS names no program)",
    ) {
        return;
    }
    let program = program.expect("found");
    let (_owner, token) = user_with_token(&app, "schema").await;
    let url = format!("http://{}/api/v1/openapi.json", app.addr);
    // The same cases every run (CI is no lottery); other seeds and more
    // examples, for looking further: WARDEN_SCHEMATHESIS_SEED, _EXAMPLES.
    let examples = std::env::var("WARDEN_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "40".into());
    let seed = std::env::var("WARDEN_SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261206".into());
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schemathesis.toml");
    let mut run = std::process::Command::new(program);
    run.args(["--config-file", config])
        .args(["run", &url, "--checks", "all", "--max-examples", &examples, "--seed", &seed, "--no-color"])
        .args(["--header", &format!("Authorization: Bearer {token}"), "--generation-database", "none", "--workers", "1"])
        // The token deleting itself (DELETE /token) would end the run.
        .args(["--exclude-path", "/token"])
        // More, when looking into a finding (`--report har --report-dir /tmp/st`).
        .args(std::env::var("WARDEN_SCHEMATHESIS_ARGS").unwrap_or_default().split_whitespace())
        // It writes nothing of its own into the checkout.
        .current_dir(std::env::temp_dir());
    // On a thread of its own: the server answers on this test's runtime.
    let out = tokio::task::spawn_blocking(move || run.output()).await.expect("joined").expect("Schemathesis runs");
    let report = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the server and its OpenAPI document disagree:\n{report}");
    assert!(report.contains("passed"), "{report}");
}
