//! Saving settings from the window: starting at login is the app's own business (the autostart
//! entry), everything else is the owner's (the settings file, the engine's policies).

use ferry_owner::{Call, Settings};
use tauri::{AppHandle, Runtime};

use crate::owner_link::OwnerLink;
use crate::IpcError;

/// Makes `settings` the settings in force: start at login first (the step most likely to be
/// refused), then the owner saves and applies the rest; a refusal there undoes the first step.
pub async fn apply<R: Runtime>(
    app: &AppHandle<R>,
    link: &OwnerLink,
    settings: Settings,
) -> Result<Settings, IpcError> {
    settings.validate()?;
    let previous: Settings = link.call(Call::GetSettings).await?;
    let login_changes = settings.start_at_login != previous.start_at_login;
    if login_changes {
        set_start_at_login(app, settings.start_at_login)?;
    }
    match link.call(Call::SetSettings { settings }).await {
        Ok(saved) => Ok(saved),
        Err(error) => {
            if login_changes {
                let _ = set_start_at_login(app, previous.start_at_login);
            }
            Err(error)
        }
    }
}

/// Adds or removes Ferry from the programs the desktop starts at login.
fn set_start_at_login<R: Runtime>(app: &AppHandle<R>, enabled: bool) -> Result<(), IpcError> {
    use tauri_plugin_autostart::ManagerExt;
    let login = app.autolaunch();
    let changed = if enabled {
        login.enable()
    } else {
        login.disable()
    };
    changed.map_err(|error| {
        IpcError::internal(format!(
            "cannot change whether Ferry starts at login: {error}"
        ))
    })
}
