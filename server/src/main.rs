//! Starts Warden; everything else is in the library.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match server::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("warden: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
