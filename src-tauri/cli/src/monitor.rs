//! `ferry monitor`: the queue as a table refreshed in place (like `bitsadmin /monitor`), or,
//! with `--json`, the event stream as one JSON object per line (first a snapshot of every job).

use std::io::{IsTerminal, Write};
use std::time::Duration;

use ferry_engine::JobInfo;
use ferry_owner::protocol::Snapshot;
use ferry_owner::{ApiError, Call, Client, OwnerEvent};
use tokio::sync::broadcast::error::RecvError;

use crate::print;
use crate::Outcome;

/// Runs until Ctrl-C or until the owner stops.
pub async fn run(client: &Client, json: bool, refresh_secs: u64) -> Outcome {
    if json {
        events(client).await
    } else {
        table(client, Duration::from_secs(refresh_secs.max(1))).await
    }
}

async fn events(client: &Client) -> Outcome {
    let (jobs, mut events) = client.subscribe().await?;
    line(&OwnerEvent::Snapshot(Snapshot { jobs }))?;
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = client.closed() => return Err(owner_gone()),
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        match event {
            Ok(event) => line(&event)?,
            Err(RecvError::Lagged(_)) => {
                let jobs: Vec<JobInfo> = client.call(Call::List).await?;
                line(&OwnerEvent::Snapshot(Snapshot { jobs }))?;
            }
            Err(RecvError::Closed) => return Err(owner_gone()),
        }
    }
}

fn line(event: &OwnerEvent) -> Outcome {
    let text = serde_json::to_string(event).map_err(ApiError::internal)?;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`ferry monitor --json | head`) ends the monitor quietly.
    if writeln!(out, "{text}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
    Ok(())
}

async fn table(client: &Client, every: Duration) -> Outcome {
    let clear = std::io::stdout().is_terminal();
    loop {
        let jobs: Vec<JobInfo> = client.call(Call::List).await?;
        let mut text = String::new();
        if clear {
            text.push_str("\x1b[2J\x1b[H");
        }
        text.push_str(&format!(
            "Ferry queue at {} ({} job(s); Ctrl-C to stop)\n",
            chrono::Local::now().format("%H:%M:%S"),
            jobs.len()
        ));
        for job in &jobs {
            text.push_str(&print::list_line(job));
            if let Some(error) = &job.error {
                text.push_str(&format!("\n    {}", print::error_line(error)));
            }
            text.push('\n');
        }
        let mut out = std::io::stdout().lock();
        if out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            return Ok(());
        }
        drop(out);
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = client.closed() => return Err(owner_gone()),
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

fn owner_gone() -> ApiError {
    ApiError::new(
        ferry_engine::ErrorCode::E_FAIL,
        "the Ferry owner stopped; its jobs resume when it starts again",
    )
}
