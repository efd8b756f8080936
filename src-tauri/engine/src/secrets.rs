//! Secrets at rest: credentials and custom headers are sealed with ChaCha20-Poly1305 before they
//! reach the store. The key lives in its own file (`secret.key`, mode 0600) beside the store, so
//! a copy of the database alone reveals nothing.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, ErrorContext, Result};
use crate::job::Credentials;

/// File name of the key inside the data directory.
pub const KEY_FILE: &str = "secret.key";

/// What a job keeps secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSecrets {
    /// Credentials, at most one per (target, scheme).
    pub credentials: Vec<Credentials>,
    /// Custom request headers (name, value).
    pub headers: Vec<(String, String)>,
}

/// Seals and opens [`JobSecrets`].
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl SecretBox {
    /// Loads the key from `data_dir`, creating it (readable by the owner only) on first use.
    pub fn open(data_dir: &Path) -> Result<SecretBox> {
        let path = data_dir.join(KEY_FILE);
        let key = match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == 32 => *Key::from_slice(&bytes),
            Ok(_) => {
                return Err(Error::new(
                    ErrorCode::E_FAIL,
                    format!(
                        "the key file {} is damaged; saved credentials cannot be read",
                        path.display()
                    ),
                )
                .in_context(ErrorContext::GeneralQueueManager))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = ChaCha20Poly1305::generate_key(&mut OsRng);
                write_private(&path, &key)
                    .map_err(|e| Error::local_io(format!("cannot write {}", path.display()), e))?;
                key
            }
            Err(e) => {
                return Err(Error::local_io(
                    format!("cannot read {}", path.display()),
                    e,
                ))
            }
        };
        Ok(SecretBox {
            cipher: ChaCha20Poly1305::new(&key),
        })
    }

    /// Encrypts `secrets` into a printable string.
    pub fn seal(&self, secrets: &JobSecrets) -> Result<String> {
        let plain = serde_json::to_vec(secrets)
            .map_err(|e| Error::new(ErrorCode::E_FAIL, format!("cannot serialise secrets: {e}")))?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain.as_slice())
            .map_err(|_| Error::new(ErrorCode::E_FAIL, "cannot encrypt secrets"))?;
        let mut out = String::with_capacity((nonce.len() + sealed.len()) * 2);
        for byte in nonce.iter().chain(sealed.iter()) {
            out.push_str(&format!("{byte:02x}"));
        }
        Ok(out)
    }

    /// Decrypts what [`SecretBox::seal`] produced.
    pub fn open_sealed(&self, text: &str) -> Result<JobSecrets> {
        let bytes = decode_hex(text).ok_or_else(damaged)?;
        if bytes.len() < 12 {
            return Err(damaged());
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| damaged())?;
        serde_json::from_slice(&plain).map_err(|_| damaged())
    }
}

fn damaged() -> Error {
    Error::new(
        ErrorCode::BG_E_INVALID_CREDENTIALS,
        "saved credentials cannot be decrypted; set them again",
    )
    .in_context(ErrorContext::GeneralQueueManager)
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{AuthScheme, AuthTarget};

    #[test]
    fn sealed_secrets_round_trip_and_hide_the_password() {
        let dir = std::env::temp_dir().join(format!("ferry-secrets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let secrets = JobSecrets {
            credentials: vec![Credentials {
                target: AuthTarget::Server,
                scheme: AuthScheme::Basic,
                user_name: "ann".into(),
                password: "hunter2-very-secret".into(),
            }],
            headers: vec![("X-Token".into(), "abc".into())],
        };
        let sealed = SecretBox::open(&dir).unwrap().seal(&secrets).unwrap();
        assert!(!sealed.contains("hunter2"));
        let reopened = SecretBox::open(&dir).unwrap();
        assert_eq!(reopened.open_sealed(&sealed).unwrap(), secrets);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o077,
                0,
                "the key must be readable by its owner only"
            );
        }
    }
}
