//! `ferry`: Ferry's command line. `ferry service` runs the owner of a data folder's queue;
//! every other verb is a client of that owner's local API (bitsadmin's verbs, with `--json`
//! on the verbs that read). See `ferry --help` and `ferry <verb> --help`. Started by a browser
//! with a native messaging host's arguments, it is the browser extension's host instead
//! ([`native_host`]).

mod args;
mod browser_setup;
mod docs;
mod file_set;
mod host_message;
mod jobs;
mod monitor;
mod native_host;
mod print;
mod rate;
mod transfer;
mod verbs;

use std::process::ExitCode;

use clap::Parser;
use ferry_owner::launch;
use ferry_owner::server::OnQuit;
use ferry_owner::ApiError;

use crate::args::{Cli, Verb};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(browser) = native_host::invoked_by_browser(&args) {
        quiet_logging();
        return native_host::run(&browser, launch::data_dir());
    }
    let cli = Cli::parse_from(args);
    let data_dir = cli.data_dir.clone().unwrap_or_else(launch::data_dir);
    match &cli.verb {
        Verb::Service { .. } => {
            ferry_owner::allocator::tune(ferry_owner::allocator::OWNER);
            if let Err(error) = std::fs::create_dir_all(&data_dir) {
                eprintln!(
                    "ferry: cannot create the data folder {}: {error}",
                    data_dir.display()
                );
                return ExitCode::FAILURE;
            }
            ferry_owner::logging::init(&data_dir, ferry_owner::logging::OWNER_LOG);
        }
        Verb::Completions { .. } | Verb::Man => return docs::print(&cli.verb),
        Verb::Browser(args) => {
            return match browser_setup::run(args) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("ferry: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => quiet_logging(),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ferry: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        match cli.verb {
            Verb::Service { on_demand } => {
                let on_quit = if on_demand {
                    OnQuit::Stop
                } else {
                    OnQuit::KeepRunning
                };
                ferry_owner::service::run(&data_dir, on_quit).await
            }
            verb => verbs::run(&data_dir, verb).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ferry: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A client logs only warnings, to stderr (`RUST_LOG` overrides).
fn quiet_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// What a verb returns.
pub type Outcome = Result<(), ApiError>;
