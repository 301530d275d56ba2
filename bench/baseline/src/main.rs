//! The bench's baseline: the least an axum server on this machine does per
//! request (one route, a fixed body), on the same axum, tokio and hyper as
//! Warden, with the same multi-threaded runtime. `bench/run` divides
//! Warden's requests per second by this one's.
//!
//! `baseline [ADDR]` serves on ADDR (default 127.0.0.1:0) and prints the
//! bound address on the first line of its standard output.
#![deny(clippy::unwrap_used)]

use axum::routing::get;
use axum::Router;
use std::io::Write;
use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let addr: SocketAddr = match addr.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("baseline: {addr:?} is not an address: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("baseline: cannot listen on {addr}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Ok(bound) = listener.local_addr() {
        // The script waits for this line, so it must not sit in a buffer.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{bound}");
        let _ = out.flush();
    }
    let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    // Warden serves with connect info (its middleware reads the peer
    // address); so does the baseline, so that the two differ in Warden's work only.
    match axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baseline: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
