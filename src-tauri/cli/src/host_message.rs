//! What the browser extension asks the native messaging host, and what it answers.
//!
//! A message is a JSON object with the protocol version `v` (1) and a `kind`:
//!
//! - `{"v":1,"kind":"ping"}`: is Ferry there? `{"ok":true,"version":"0.1.0"}`.
//! - `{"v":1,"kind":"download","url":"https://…","referrer":"https://…","file_name":"a.iso",
//!   "cookies":"k=v; …","browser":"Chromium"}`: only `url` is required; the job is created in
//!   the download folder, FOREGROUND, with the browser's name as its description:
//!   `{"ok":true,"job":"<id>","name":"a.iso","path":"/home/me/Downloads/a.iso"}`.
//!
//! Anything else (not JSON, another version, an unknown kind or field, a missing `url`) and
//! every refusal of the engine is `{"ok":false,"error":{"code":…,"name":"E_INVALIDARG",
//! "message":"…"}}`, a sentence the extension shows as it is.

use std::path::PathBuf;

use ferry_engine::{ErrorCode, JobId};
use ferry_owner::handoff::{self, HandOff};
use ferry_owner::{ApiError, Client};
use serde::{Deserialize, Serialize, Serializer};

use crate::native_host::Browser;

/// The version of these messages.
pub const MESSAGE_VERSION: u64 = 1;

/// The longest browser name kept as a job's description.
const MAX_BROWSER_NAME_CHARS: usize = 64;

/// A message the host understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Is Ferry there?
    Ping,
    /// Download a link.
    Download(HandOff),
}

/// The message as it is sent (the version is checked before).
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Message {
    Ping,
    Download {
        url: String,
        #[serde(default)]
        referrer: Option<String>,
        #[serde(default)]
        file_name: Option<String>,
        #[serde(default)]
        cookies: Option<String>,
        #[serde(default)]
        browser: Option<String>,
    },
}

/// The answer to one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Ferry is there.
    Pong {
        /// Ferry's version.
        version: String,
    },
    /// The job was created and resumed.
    Added {
        /// Its id.
        job: JobId,
        /// Its file's name.
        name: String,
        /// Where the file goes.
        path: PathBuf,
    },
    /// Refused or failed.
    Error(ApiError),
}

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = match self {
            Reply::Pong { version } => serde_json::json!({ "ok": true, "version": version }),
            Reply::Added { job, name, path } => {
                serde_json::json!({ "ok": true, "job": job, "name": name, "path": path })
            }
            Reply::Error(error) => serde_json::json!({ "ok": false, "error": error }),
        };
        value.serialize(serializer)
    }
}

/// Reads one message from `browser`.
pub fn parse(bytes: &[u8], browser: &Browser) -> Result<Request, ApiError> {
    let invalid = |why: String| ApiError::new(ErrorCode::E_INVALIDARG, why);
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| invalid(format!("the message is not JSON: {e}")))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| invalid("the message is not a JSON object".into()))?;
    match object.remove("v").as_ref().and_then(serde_json::Value::as_u64) {
        Some(MESSAGE_VERSION) => {}
        Some(other) => {
            return Err(invalid(format!(
                "message version {other} is not spoken here; this Ferry speaks {MESSAGE_VERSION}: update the extension or Ferry"
            )))
        }
        None => return Err(invalid("the message has no version \"v\"".into())),
    }
    let message: Message = serde_json::from_value(value)
        .map_err(|e| invalid(format!("the message is not one Ferry reads: {e}")))?;
    Ok(match message {
        Message::Ping => Request::Ping,
        Message::Download {
            url,
            referrer,
            file_name,
            cookies,
            browser: name,
        } => Request::Download(HandOff {
            url,
            referrer,
            file_name,
            cookies,
            source: browser_name(name.as_deref(), browser),
        }),
    })
}

/// The browser's own name for itself when it is a short line of text, else the one its
/// arguments tell.
fn browser_name(said: Option<&str>, browser: &Browser) -> String {
    match said.map(str::trim) {
        Some(name)
            if !name.is_empty()
                && name.chars().count() <= MAX_BROWSER_NAME_CHARS
                && !name.chars().any(char::is_control) =>
        {
            name.to_owned()
        }
        _ => browser.name().to_owned(),
    }
}

/// Carries out `request` through the owner `client`.
pub async fn carry_out(client: &Client, request: Request) -> Reply {
    match request {
        Request::Ping => Reply::Pong {
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        Request::Download(handoff) => match handoff::hand_off(client, handoff).await {
            Ok(job) => {
                let path = job
                    .files
                    .first()
                    .map(|file| file.local_path.clone())
                    .unwrap_or_default();
                Reply::Added {
                    job: job.id,
                    name: job.settings.display_name,
                    path,
                }
            }
            Err(error) => Reply::Error(error),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIREFOX: Browser = Browser::Firefox {
        extension: String::new(),
    };

    fn chromium() -> Browser {
        Browser::Chromium {
            origin: "chrome-extension://x/".into(),
        }
    }

    #[test]
    fn a_download_needs_only_a_url() {
        let request = parse(
            br#"{"v":1,"kind":"download","url":"https://a/b.iso"}"#,
            &chromium(),
        )
        .unwrap();
        assert_eq!(
            request,
            Request::Download(HandOff {
                url: "https://a/b.iso".into(),
                source: "Chromium".into(),
                ..HandOff::default()
            })
        );
        let full = parse(
            br#"{"v":1,"kind":"download","url":"https://a/b","referrer":"https://a/","file_name":"b.iso","cookies":"k=v","browser":"Chromium 156"}"#,
            &FIREFOX,
        )
        .unwrap();
        let Request::Download(handoff) = full else {
            panic!("a download")
        };
        assert_eq!(handoff.source, "Chromium 156");
        assert_eq!(handoff.file_name.as_deref(), Some("b.iso"));
        assert_eq!(handoff.cookies.as_deref(), Some("k=v"));
    }

    #[test]
    fn broken_messages_are_refused_with_a_reason() {
        let cases: [(&[u8], &str); 7] = [
            (b"nope", "not JSON"),
            (b"[1]", "not a JSON object"),
            (br#"{"kind":"ping"}"#, "no version"),
            (br#"{"v":2,"kind":"ping"}"#, "version 2"),
            (br#"{"v":1,"kind":"download"}"#, "missing field `url`"),
            (br#"{"v":1,"kind":"format_disk"}"#, "unknown variant"),
            (
                br#"{"v":1,"kind":"download","url":"https://a/","shell":"rm"}"#,
                "unknown field",
            ),
        ];
        for (bytes, words) in cases {
            let error = parse(bytes, &chromium()).unwrap_err();
            assert_eq!(error.code, ErrorCode::E_INVALIDARG);
            assert!(
                error.message.contains(words),
                "{words:?} in {}",
                error.message
            );
        }
    }

    #[test]
    fn an_odd_browser_name_gives_way_to_the_hosts() {
        assert_eq!(
            browser_name(Some("Firefox 140"), &chromium()),
            "Firefox 140"
        );
        assert_eq!(browser_name(Some("a\nb"), &chromium()), "Chromium");
        assert_eq!(browser_name(Some(&"x".repeat(65)), &FIREFOX), "Firefox");
        assert_eq!(browser_name(None, &FIREFOX), "Firefox");
    }

    #[test]
    fn replies_say_ok_or_give_the_error() {
        let error = Reply::Error(ApiError::new(ErrorCode::E_INVALIDARG, "no"));
        let text = serde_json::to_value(&error).unwrap();
        assert_eq!(text["ok"], false);
        assert_eq!(text["error"]["name"], "E_INVALIDARG");
        let added = Reply::Added {
            job: JobId::new(),
            name: "a.iso".into(),
            path: "/d/a.iso".into(),
        };
        let text = serde_json::to_value(&added).unwrap();
        assert_eq!(text["ok"], true);
        assert_eq!(text["path"], "/d/a.iso");
    }
}
