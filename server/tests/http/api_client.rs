//! The OpenAPI document is usable by a generated client: the example in
//! `examples/typescript` is compiled against types generated (by
//! openapi-typescript) from the document this server serves, then run
//! against it with a read-and-write token. It lists the campaigns, makes
//! one, records a call and lists the campaign's calls; the test then sees
//! the call through the API itself. A document a generator cannot read, or
//! one whose shapes the example no longer fits, fails here.
//!
//! Needs the example's npm packages (`scripts/setup --test` installs them)
//! and Node.js; says so when they are missing, and fails then if
//! `WARDEN_REQUIRE_EXAMPLES` is set (as in CI).

use crate::api::{user_with_token, Api};
use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

on_both_backends!(the_generated_client_lists_campaigns_and_records_a_call);

/// Runs `cmd` (on a thread of its own: the server answers on this test's
/// runtime) and returns its output, or fails with what it said.
async fn run(what: &str, mut cmd: Command) -> String {
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.expect("joined").expect(what);
    let said = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{what} failed:\n{said}");
    said
}

async fn the_generated_client_lists_campaigns_and_records_a_call(app: TestApp) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/typescript");
    let bin = |name: &str| example.join("node_modules/.bin").join(name);
    let found = bin("openapi-typescript").is_file() && bin("tsc").is_file();
    if !needs_tool(found, "WARDEN_REQUIRE_EXAMPLES", "the generated-client test needs examples/typescript's npm packages") {
        return;
    }
    let (_owner, token) = user_with_token(&app, "client").await;
    let base = format!("http://{}", app.addr);

    // A copy of the example in a directory of this run's own (each backend
    // generates its own types), with the installed packages linked in.
    let dir: PathBuf = std::env::temp_dir().join(format!("warden-client-{}", unique()));
    std::fs::create_dir_all(dir.join("generated")).expect("temp dir");
    for file in ["calls.ts", "tsconfig.json", "package.json"] {
        std::fs::copy(example.join(file), dir.join(file)).expect("copy the example");
    }
    std::os::unix::fs::symlink(example.join("node_modules"), dir.join("node_modules")).expect("link node_modules");

    let mut generate = Command::new(bin("openapi-typescript"));
    generate.arg(format!("{base}/api/v1/openapi.json")).args(["-o", "generated/schema.d.ts"]).current_dir(&dir);
    run("generating the client's types from the document", generate).await;
    let schema = std::fs::read_to_string(dir.join("generated/schema.d.ts")).expect("generated types");
    assert!(schema.contains("\"/campaigns\"") && schema.contains("\"/calls\""), "{schema}");

    let mut compile = Command::new(bin("tsc"));
    compile.args(["-p", "."]).current_dir(&dir);
    run("compiling the example against the generated types", compile).await;

    let mut client = Command::new("node");
    client.arg("dist/calls.js").env("WARDEN_URL", &base).env("WARDEN_TOKEN", &token).current_dir(&dir);
    let said = run("the example against the server", client).await;
    let _ = std::fs::remove_dir_all(&dir);

    assert!(said.contains("0 campaign(s)") && said.contains("created campaign"), "{said}");
    let call_id = said
        .split("recorded call ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or_else(|| panic!("the example says which call it recorded:\n{said}"));
    assert!(said.contains("1 call(s) in campaign"), "{said}");

    // What the client did is what the API holds.
    let api = Api::new(&app);
    let call = api.get(&format!("/api/v1/calls/{call_id}"), &token).await;
    assert_eq!(call.status, reqwest::StatusCode::OK, "{}", call.body);
    let call = call.json();
    assert_eq!(
        (call["caller"].as_str(), call["duration_secs"].as_i64(), call["outcome"].as_str()),
        (Some("+4930901820"), Some(42), Some("answered")),
        "{call}"
    );
    let campaigns = api.get("/api/v1/campaigns", &token).await.json();
    assert_eq!(campaigns["campaigns"].as_array().map(Vec::len), Some(1), "{campaigns}");
    assert_eq!(campaigns["campaigns"][0]["name"].as_str(), Some("Example campaign"), "{campaigns}");
}
