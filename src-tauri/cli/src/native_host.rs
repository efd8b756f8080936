//! `ferry` as the browser extension's native messaging host.
//!
//! A browser starts the program named in the host manifest with arguments of its own, never
//! with a verb: Chromium as `ferry chrome-extension://<id>/` (plus `--parent-window=…` on
//! Windows), Firefox as `ferry /path/to/manifest.json <extension-id>`. The manifest's `path`
//! takes no arguments, so [`invoked_by_browser`] recognises those before clap reads the
//! command line; no verb can look like them (verbs are plain words, and paths are never the
//! first argument).
//!
//! Messages are a 4-byte length in native byte order followed by that many bytes of UTF-8
//! JSON, both ways. The host reads until the browser closes its stdin, answers every message
//! with one reply ([`crate::host_message`]), and writes nothing else to stdout (logs go to
//! stderr, which the browser keeps in its own log).

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferry_engine::ErrorCode;
use ferry_owner::{launch, ApiError, Client};

use crate::host_message::{self, Reply};

/// The longest message the host reads; a longer one is skipped and answered with an error.
/// A URL is at most 2,200 characters and the cookies at most 16 KiB.
pub const MAX_MESSAGE_BYTES: u32 = 64 * 1024;

/// Which browser started the host, from its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Browser {
    /// Chromium, Chrome and other Chromium-based browsers: the extension's origin.
    Chromium {
        /// `chrome-extension://<id>/`.
        origin: String,
    },
    /// Firefox: the host manifest's path and the extension's id.
    Firefox {
        /// The extension's id (`browser_specific_settings.gecko.id`).
        extension: String,
    },
}

impl Browser {
    /// The name a job gets as its description when the message does not say.
    pub fn name(&self) -> &'static str {
        match self {
            Browser::Chromium { .. } => "Chromium",
            Browser::Firefox { .. } => "Firefox",
        }
    }
}

/// The browser that started this process as its native messaging host, or `None` for an
/// ordinary command line.
pub fn invoked_by_browser(args: &[OsString]) -> Option<Browser> {
    let first = args.get(1)?.to_str()?;
    if first.starts_with("chrome-extension://") {
        return Some(Browser::Chromium {
            origin: first.to_owned(),
        });
    }
    let manifest = Path::new(first);
    let extension = args.get(2)?.to_str()?;
    let looks_like_firefox = manifest.is_absolute()
        && manifest.extension().is_some_and(|ext| ext == "json")
        && !extension.is_empty()
        && !extension.starts_with('-');
    looks_like_firefox.then(|| Browser::Firefox {
        extension: extension.to_owned(),
    })
}

/// Serves the browser until it closes the pipe.
pub fn run(browser: &Browser, data_dir: PathBuf) -> ExitCode {
    tracing::info!(?browser, "native messaging host started");
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ferry: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let mut owner: Option<Client> = None;
    loop {
        let reply = match read_message(&mut stdin) {
            Ok(Some(Ok(bytes))) => runtime.block_on(async {
                match host_message::parse(&bytes, browser) {
                    Ok(request) => match connected(&mut owner, &data_dir).await {
                        Ok(client) => host_message::carry_out(client, request).await,
                        Err(error) => Reply::Error(error),
                    },
                    Err(error) => Reply::Error(error),
                }
            }),
            Ok(Some(Err(error))) => Reply::Error(error),
            Ok(None) => return ExitCode::SUCCESS,
            Err(error) => {
                tracing::warn!("cannot read from the browser: {error}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(error) = write_message(&mut stdout, &reply) {
            tracing::warn!("cannot answer the browser: {error}");
            return ExitCode::FAILURE;
        }
    }
}

/// The connection to the owner, made (and the owner started) on the first message that
/// needs it, and made again when the owner went away.
async fn connected<'a>(
    owner: &'a mut Option<Client>,
    data_dir: &Path,
) -> Result<&'a Client, ApiError> {
    if owner.as_ref().is_none_or(Client::is_closed) {
        let (client, _) = launch::connect_or_start(data_dir, &launch::ferry_program()).await?;
        *owner = Some(client);
    }
    owner
        .as_ref()
        .ok_or_else(|| ApiError::internal("no connection to the owner"))
}

/// One message: `None` at the end of input, `Some(Err)` for a message that is too long (its
/// bytes are read and dropped, so the next message is read from its start).
pub fn read_message(input: &mut impl Read) -> io::Result<Option<Result<Vec<u8>, ApiError>>> {
    let mut length = [0u8; 4];
    match input.read_exact(&mut length) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u32::from_ne_bytes(length);
    if length > MAX_MESSAGE_BYTES {
        let skipped = io::copy(&mut input.take(u64::from(length)), &mut io::sink())?;
        if skipped < u64::from(length) {
            return Ok(None);
        }
        return Ok(Some(Err(ApiError::new(
            ErrorCode::E_INVALIDARG,
            format!("the message is {length} bytes long; Ferry reads at most {MAX_MESSAGE_BYTES}"),
        ))));
    }
    let mut bytes = vec![0; length as usize];
    match input.read_exact(&mut bytes) {
        Ok(()) => Ok(Some(Ok(bytes))),
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(error) => Err(error),
    }
}

/// Writes `reply` as one message and flushes it.
pub fn write_message(output: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let json = serde_json::to_vec(reply).map_err(io::Error::other)?;
    let length = u32::try_from(json.len()).map_err(io::Error::other)?;
    output.write_all(&length.to_ne_bytes())?;
    output.write_all(&json)?;
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_browsers_arguments_are_told_from_verbs() {
        assert_eq!(
            invoked_by_browser(&args(&["ferry", "chrome-extension://abc/"])),
            Some(Browser::Chromium {
                origin: "chrome-extension://abc/".into()
            })
        );
        assert_eq!(
            invoked_by_browser(&args(&[
                "ferry",
                "chrome-extension://abc/",
                "--parent-window=7"
            ]))
            .map(|b| b.name()),
            Some("Chromium")
        );
        assert_eq!(
            invoked_by_browser(&args(&[
                "ferry",
                "/usr/lib/mozilla/native-messaging-hosts/ferry.handoff.json",
                "handoff@ferry.invalid"
            ])),
            Some(Browser::Firefox {
                extension: "handoff@ferry.invalid".into()
            })
        );
        for verbs in [
            &["ferry", "list"][..],
            &["ferry", "addfile", "job", "http://x/a", "/tmp/a.json"],
            &["ferry", "/tmp/list.json"],
            &["ferry", "/tmp/list.json", "--json"],
            &["ferry", "relative.json", "id"],
            &["ferry"],
        ] {
            assert_eq!(invoked_by_browser(&args(verbs)), None, "{verbs:?}");
        }
    }

    #[test]
    fn messages_are_length_prefixed_in_native_order() {
        let mut input = Vec::new();
        for body in [&b"{\"a\":1}"[..], b"[]"] {
            input.extend_from_slice(&u32::try_from(body.len()).unwrap().to_ne_bytes());
            input.extend_from_slice(body);
        }
        let mut reader = input.as_slice();
        assert_eq!(
            read_message(&mut reader).unwrap().unwrap().unwrap(),
            b"{\"a\":1}"
        );
        assert_eq!(read_message(&mut reader).unwrap().unwrap().unwrap(), b"[]");
        assert!(read_message(&mut reader).unwrap().is_none());
    }

    #[test]
    fn a_message_over_the_limit_is_skipped_and_the_next_one_read() {
        let big = vec![b' '; MAX_MESSAGE_BYTES as usize + 1];
        let mut input = Vec::new();
        input.extend_from_slice(&u32::try_from(big.len()).unwrap().to_ne_bytes());
        input.extend_from_slice(&big);
        input.extend_from_slice(&2u32.to_ne_bytes());
        input.extend_from_slice(b"{}");
        let mut reader = input.as_slice();
        let refused = read_message(&mut reader).unwrap().unwrap().unwrap_err();
        assert_eq!(refused.code, ErrorCode::E_INVALIDARG);
        assert!(refused.message.contains("65536"), "{}", refused.message);
        assert_eq!(read_message(&mut reader).unwrap().unwrap().unwrap(), b"{}");
    }

    #[test]
    fn a_message_cut_short_ends_the_host_quietly() {
        let mut input = Vec::new();
        input.extend_from_slice(&10u32.to_ne_bytes());
        input.extend_from_slice(b"{\"a\"");
        assert!(read_message(&mut input.as_slice()).unwrap().is_none());
        assert!(read_message(&mut &[1u8, 0][..]).unwrap().is_none());
    }

    #[test]
    fn a_reply_is_written_with_its_length() {
        let mut output = Vec::new();
        write_message(
            &mut output,
            &Reply::Pong {
                version: "1".into(),
            },
        )
        .unwrap();
        let length = u32::from_ne_bytes(output[..4].try_into().unwrap()) as usize;
        assert_eq!(length, output.len() - 4);
        let value: serde_json::Value = serde_json::from_slice(&output[4..]).unwrap();
        assert_eq!(value["ok"], true);
    }
}
