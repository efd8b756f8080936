//! The tray's side that talks to the owner, on a thread of its own with a small tokio runtime:
//! finds the owner (starting one when none runs), follows the queue for the icon and the
//! tooltip, carries out the menu's calls, and finds the owner again when it goes away, unless
//! someone chose Quit.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferry_engine::JobGlance;
use ferry_owner::handoff::{hand_off, HandOff};
use ferry_owner::i18n::LanguageIdentifier;
use ferry_owner::launch::{self, Started};
use ferry_owner::summary::QueueSummary;
use ferry_owner::{Call, Client, OwnerEvent, OwnerNotice, QuitAnswer, Settings};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc, watch};

use crate::pace::Pace;
use crate::{desktop, offer};

/// The tooltip and the status line are refreshed at most this often, however fast progress
/// arrives.
const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// Pause between attempts to reach an owner that went away.
const RECONNECT_PAUSE: Duration = Duration::from_millis(500);

/// How long Quit waits for an owner that stops to close the connection.
const QUIT_TIMEOUT: Duration = Duration::from_secs(15);

/// What the menu, the clipboard and the clipboard's offer ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Show Ferry: start the window's program.
    Show,
    /// Pause all: suspend every job that is moving or waiting to move.
    PauseAll,
    /// Resume all: resume every job that was paused after it ran.
    ResumeAll,
    /// Quit Ferry: windows, the tray, and the owner a client started.
    Quit,
    /// An http(s) URL was copied: offer it when the setting is on.
    Copied(String),
    /// The user pressed Add on the offer of this URL.
    Add(String),
}

/// Where the clipboard's offers come from, as the jobs' description.
const CLIPBOARD_SOURCE: &str = "Clipboard";

/// What the GTK side applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// The queue changed: icon and tooltip.
    Summary(QueueSummary),
    /// What a menu action did, in one sentence ("Paused 3 jobs.").
    Said(String),
    /// The language the menu, the status line and the tooltip speak now.
    Language(LanguageIdentifier),
    /// The tray ends.
    Quit,
}

/// Starts the owner's side for `data_dir` on a thread of its own: the sender takes the menu's
/// actions, the receiver yields what the icon should show.
pub fn start(
    data_dir: PathBuf,
) -> std::io::Result<(
    mpsc::UnboundedSender<Action>,
    mpsc::UnboundedReceiver<Update>,
)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (actions, action_queue) = mpsc::unbounded_channel();
    let (updates, update_queue) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("ferry-tray-owner".into())
        .spawn({
            let actions = actions.clone();
            move || runtime.block_on(run(data_dir, actions, action_queue, updates))
        })?;
    Ok((actions, update_queue))
}

async fn run(
    data_dir: PathBuf,
    sender: mpsc::UnboundedSender<Action>,
    mut actions: mpsc::UnboundedReceiver<Action>,
    updates: mpsc::UnboundedSender<Update>,
) {
    let program = launch::ferry_program();
    // The connection in use; `None` while the owner is being looked for.
    let (current, mut watched) = watch::channel::<Option<Client>>(None);
    let current = Arc::new(current);
    // The language of the settings, as the tray last read it.
    let (language, _) = watch::channel(ferry_owner::i18n::system_locale());
    let language = Arc::new(language);
    let follower = tokio::spawn(follow_owner(
        data_dir,
        program,
        Arc::clone(&current),
        Arc::clone(&language),
        updates.clone(),
    ));
    // The URL offered last: copying it again does not offer it again.
    let mut offered: Option<String> = None;
    while let Some(action) = actions.recv().await {
        match action {
            Action::Copied(url) => {
                if offered.as_ref() == Some(&url) {
                    continue;
                }
                let Some(client) = connected(&mut watched).await else {
                    continue;
                };
                match client.call::<Settings>(Call::GetSettings).await {
                    Ok(settings) if settings.clipboard_offer => {
                        offered = Some(url.clone());
                        offer::show(url, sender.clone(), settings.language.locale());
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!("cannot read the settings: {error}"),
                }
            }
            Action::Add(url) => {
                let Some(client) = connected(&mut watched).await else {
                    continue;
                };
                let locale = language.borrow().clone();
                tokio::spawn(async move {
                    let handoff = HandOff {
                        url: url.clone(),
                        source: CLIPBOARD_SOURCE.to_owned(),
                        ..HandOff::default()
                    };
                    match hand_off(&client, handoff).await {
                        Ok(job) => tracing::info!(id = %job.id, %url, "added a copied link"),
                        Err(error) => {
                            tracing::warn!(%url, "cannot add a copied link: {error}");
                            offer::refused(&url, &error.message, &locale);
                        }
                    }
                });
            }
            Action::Show => desktop::show(),
            Action::PauseAll | Action::ResumeAll => {
                let call = if action == Action::PauseAll {
                    Call::SuspendAll
                } else {
                    Call::ResumeAll
                };
                let Some(client) = connected(&mut watched).await else {
                    continue;
                };
                let updates = updates.clone();
                let locale = language.borrow().clone();
                tokio::spawn(async move {
                    match client.call::<u32>(call).await {
                        Ok(count) => {
                            let said = if action == Action::PauseAll {
                                ferry_owner::bulk_text::paused_in(&locale, count)
                            } else {
                                ferry_owner::bulk_text::resumed_in(&locale, count)
                            };
                            tracing::info!("{said}");
                            let _ = updates.send(Update::Said(said));
                        }
                        Err(error) => tracing::warn!("the tray's action failed: {error}"),
                    }
                });
            }
            Action::Quit => {
                tracing::info!("Quit chosen");
                follower.abort();
                if let Some(client) = current.borrow().clone() {
                    quit(&client).await;
                }
                break;
            }
        }
    }
    let _ = updates.send(Update::Quit);
}

/// The connection, waiting (up to a few seconds) while the owner is being found.
async fn connected(watched: &mut watch::Receiver<Option<Client>>) -> Option<Client> {
    let found = tokio::time::timeout(
        Duration::from_secs(5),
        watched.wait_for(|client| client.as_ref().is_some_and(|c| !c.is_closed())),
    )
    .await;
    match found {
        Ok(Ok(client)) => client.clone(),
        _ => {
            tracing::warn!("the owner cannot be reached");
            None
        }
    }
}

/// Asks the owner to have every client quit (and to stop, if a client started it), and waits
/// for it to stop when it does.
async fn quit(client: &Client) {
    match client.call::<QuitAnswer>(Call::Quit).await {
        Ok(QuitAnswer { stopping: true }) => {
            if tokio::time::timeout(QUIT_TIMEOUT, client.closed())
                .await
                .is_err()
            {
                tracing::warn!("the owner did not stop within {QUIT_TIMEOUT:?}");
            }
        }
        Ok(QuitAnswer { stopping: false }) => {
            tracing::info!("the owner keeps running (it was not started by a client)");
        }
        Err(error) => tracing::warn!("cannot ask the owner to quit: {error}"),
    }
}

/// How following one connection ended.
enum Ended {
    /// The connection is gone: find the owner again.
    Closed,
    /// The owner said Ferry quits.
    Quitting,
}

/// Connects, follows the queue, and connects again whenever the connection goes, until the
/// owner says Ferry quits.
async fn follow_owner(
    data_dir: PathBuf,
    program: PathBuf,
    current: Arc<watch::Sender<Option<Client>>>,
    language: Arc<watch::Sender<LanguageIdentifier>>,
    updates: mpsc::UnboundedSender<Update>,
) {
    loop {
        let client = loop {
            match launch::connect_or_start(&data_dir, &program).await {
                Ok((client, started)) => {
                    if started == Started::ByThisClient {
                        tracing::info!("started the owner");
                    }
                    break client;
                }
                Err(error) => {
                    tracing::warn!("cannot reach the owner: {error}");
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                }
            }
        };
        current.send_replace(Some(client.clone()));
        let ended = match client.subscribe().await {
            Ok((jobs, events)) => {
                let glances = jobs.iter().map(JobGlance::from).collect();
                drop(jobs);
                follow_queue(&client, glances, events, &language, &updates).await
            }
            Err(error) => {
                tracing::warn!("cannot follow the queue: {error}");
                tokio::time::sleep(RECONNECT_PAUSE).await;
                Ended::Closed
            }
        };
        current.send_replace(None);
        match ended {
            Ended::Quitting => {
                tracing::info!("the owner says Ferry quits");
                let _ = updates.send(Update::Quit);
                return;
            }
            Ended::Closed => tracing::warn!("the connection to the owner is gone; reconnecting"),
        }
    }
}

/// Recomputes the summary after the owner's events, at most once per [`REFRESH_INTERVAL`], and
/// reports it when it changes.
async fn follow_queue(
    client: &Client,
    mut jobs: Vec<JobGlance>,
    mut events: broadcast::Receiver<OwnerEvent>,
    language: &watch::Sender<LanguageIdentifier>,
    updates: &mpsc::UnboundedSender<Update>,
) -> Ended {
    let mut shown = None;
    let mut pace = Pace::default();
    let mut told_language = false;
    // The settings are read at first and again each time the owner says they were saved.
    let mut read_settings = true;
    loop {
        if std::mem::take(&mut read_settings) {
            follow_language(client, language, updates, &mut told_language).await;
        }
        let (moving, bytes_per_second) = pace.sample(&jobs, std::time::Instant::now());
        let summary = QueueSummary::of(&jobs).paced(moving, bytes_per_second);
        if shown != Some(summary) {
            let _ = updates.send(Update::Summary(summary));
            shown = Some(summary);
        }
        // While jobs transfer, the queue is looked at again even without events, so the icon
        // stops being busy when their bytes stop. Events that came before the connection
        // closed are read first.
        let look_again = summary.transferring > 0;
        tokio::select! {
            biased;
            event = events.recv() => match event {
                Ok(OwnerEvent::Owner(OwnerNotice::Quitting)) => return Ended::Quitting,
                Ok(OwnerEvent::Owner(OwnerNotice::SettingsChanged)) => {
                    read_settings = true;
                    continue;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return Ended::Closed,
            },
            () = client.closed() => return Ended::Closed,
            () = tokio::time::sleep(REFRESH_INTERVAL), if look_again => {}
        }
        tokio::time::sleep(REFRESH_INTERVAL).await;
        loop {
            match events.try_recv() {
                Ok(OwnerEvent::Owner(OwnerNotice::Quitting)) => return Ended::Quitting,
                Ok(OwnerEvent::Owner(OwnerNotice::SettingsChanged)) => read_settings = true,
                Ok(_) | Err(TryRecvError::Lagged(_)) => continue,
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Closed) => return Ended::Closed,
            }
        }
        match client.call::<Vec<JobGlance>>(Call::ListGlances).await {
            Ok(now) => jobs = now,
            Err(error) if client.is_closed() => {
                tracing::debug!("the owner went away: {error}");
            }
            Err(error) => tracing::debug!("cannot list the jobs for the tray: {error}"),
        }
    }
}

/// Reads the settings and tells the GTK side the language when it is new (or not told yet).
async fn follow_language(
    client: &Client,
    language: &watch::Sender<LanguageIdentifier>,
    updates: &mpsc::UnboundedSender<Update>,
    told_language: &mut bool,
) {
    match client.call::<Settings>(Call::GetSettings).await {
        Ok(settings) => {
            let locale = settings.language.locale();
            if !*told_language || *language.borrow() != locale {
                tracing::info!(language = %locale, "the tray's language");
                language.send_replace(locale.clone());
                let _ = updates.send(Update::Language(locale));
                *told_language = true;
            }
        }
        Err(error) => tracing::debug!("cannot read the settings for the tray: {error}"),
    }
}
