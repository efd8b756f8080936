//! Saving settings from the window: starting at login is the app's own business (the autostart
//! entry, see [`crate::login_start`]), everything else is the owner's (the settings file, the
//! engine's policies).

use ferry_owner::{Call, Settings};

use crate::owner_link::OwnerLink;
use crate::IpcError;

/// Makes `settings` the settings in force: start at login first (the step most likely to be
/// refused), then the owner saves and applies the rest; a refusal there undoes the first step.
pub async fn apply(link: &OwnerLink, settings: Settings) -> Result<Settings, IpcError> {
    settings.validate()?;
    let previous: Settings = link.call(Call::GetSettings).await?;
    let login_changes = settings.start_at_login != previous.start_at_login;
    if login_changes {
        set_start_at_login(settings.start_at_login)?;
    }
    match link.call(Call::SetSettings { settings }).await {
        Ok(saved) => Ok(saved),
        Err(error) => {
            if login_changes {
                let _ = set_start_at_login(previous.start_at_login);
            }
            Err(error)
        }
    }
}

/// Adds or removes Ferry from the programs the desktop starts at login: the entry starts this
/// very program, wherever it is installed.
fn set_start_at_login(enabled: bool) -> Result<(), IpcError> {
    let changed = if enabled {
        std::env::current_exe().and_then(|program| crate::login_start::enable(&program))
    } else {
        crate::login_start::disable()
    };
    changed.map_err(|error| {
        IpcError::internal(format!(
            "cannot change whether Ferry starts at login: {error}"
        ))
    })
}
