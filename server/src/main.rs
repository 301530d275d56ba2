//! Starts Warden (`warden`, or `warden rotate-key [--finish]`); everything
//! else is in the library.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match server::command(&std::env::args().skip(1).collect::<Vec<_>>()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("warden: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
