//! Starts Warden (`warden`, or `warden rotate-key [--finish]`); everything
//! else is in the library.

// The allocator: jemalloc. Rendering a page allocates thousands of small
// strings; against glibc's malloc it serves a third more pages and API calls a
// second (bench/run, docs/performance.md). Two arenas (not four per CPU) and
// a background thread that returns freed pages after a second keep the idle
// process as small as with glibc.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[cfg(not(target_env = "msvc"))]
#[export_name = "_rjem_malloc_conf"]
static MALLOC_CONF: &[u8; 70] = b"narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

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
