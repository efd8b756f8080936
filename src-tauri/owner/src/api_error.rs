//! How a failed call crosses the local API and reaches the window: `{ code, name, message }`.
//!
//! Clients switch on `code` (or its `name`), never on `message`, which is a sentence for
//! people. Engine errors keep their stable code; other failures (the settings file, a lost
//! connection to the owner, a file manager that cannot start) get the closest engine code.

use std::fmt;

use ferry_engine::error::io_error_code;
use ferry_engine::ErrorCode;
use serde::{Deserialize, Serialize};

/// A failed call, as clients and the window receive it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "IpcError"))]
pub struct ApiError {
    /// The stable error code, e.g. 0x80200002 for BG_E_INVALID_STATE.
    pub code: ErrorCode,
    /// The code's name, e.g. `BG_E_INVALID_STATE`.
    pub name: String,
    /// What went wrong, for people.
    pub message: String,
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            name: code.name().into_owned(),
            message: message.into(),
        }
    }

    /// A failed local file operation: the code follows the OS error kind.
    pub fn io(what: impl fmt::Display, error: &std::io::Error) -> Self {
        ApiError::new(io_error_code(error), format!("{what}: {error}"))
    }

    /// A failure inside Ferry itself (a task that died, a window that is gone, a connection
    /// to the owner that broke).
    pub fn internal(what: impl fmt::Display) -> Self {
        ApiError::new(ErrorCode::E_FAIL, what.to_string())
    }
}

impl From<ferry_engine::Error> for ApiError {
    fn from(error: ferry_engine::Error) -> Self {
        if let Some(source) = std::error::Error::source(&error) {
            tracing::debug!(code = %error.code, "{}: {source}", error.message);
        }
        ApiError::new(error.code, error.message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:08X}): {}", self.name, self.code.0, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_keep_their_code_name_and_message() {
        let error = ApiError::from(ferry_engine::Error::new(
            ErrorCode::BG_E_INVALID_STATE,
            "not now",
        ));
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "code": 0x8020_0002u32, "name": "BG_E_INVALID_STATE", "message": "not now" })
        );
    }

    #[test]
    fn io_errors_map_to_stable_codes() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(
            ApiError::io("cannot write settings", &denied).code,
            ErrorCode::E_ACCESSDENIED
        );
    }
}
