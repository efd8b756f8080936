//! Errors: stable BITS-style codes, their contexts, and the engine's error type.
//!
//! Every failure the engine reports carries an [`ErrorCode`] with the same name and number as
//! its BITS counterpart (an HRESULT), so users, scripts and tests can rely on them. HTTP statuses
//! map to `BG_E_HTTP_ERROR_nnn` = `0x80190000 + nnn`.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable, numbered error code (an HRESULT-style value, as BITS reports them).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, type = "number"))]
pub struct ErrorCode(pub u32);

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:expr, $text:expr;)*) => {
        impl ErrorCode {
            $($(#[$doc])* pub const $name: ErrorCode = ErrorCode($value);)*

            /// Every named code, for lookups by name and for documentation.
            pub const NAMED: &'static [(ErrorCode, &'static str, &'static str)] =
                &[$((ErrorCode($value), stringify!($name), $text)),*];
        }
    };
}

codes! {
    /// Success.
    S_OK = 0x0000_0000, "success";
    /// Complete kept only the files that had been fully transferred.
    BG_S_PARTIAL_COMPLETE = 0x0020_0017, "only some of the files were transferred; the others were discarded";
    /// Complete or Cancel succeeded but some temporary files could not be deleted.
    BG_S_UNABLE_TO_DELETE_FILES = 0x0020_001A, "some temporary files could not be deleted";
    /// A rename found nothing to replace (ReplaceRemotePrefix matched no file).
    S_FALSE = 0x0000_0001, "nothing matched";
    /// No job with that id.
    BG_E_NOT_FOUND = 0x8020_0001, "no job with that id exists";
    /// The call is not allowed in the job's current state.
    BG_E_INVALID_STATE = 0x8020_0002, "the job's state does not allow this";
    /// Resume on a job without files.
    BG_E_EMPTY = 0x8020_0003, "the job has no files";
    /// The error is not tied to a file.
    BG_E_FILE_NOT_AVAILABLE = 0x8020_0004, "the error is not tied to a file";
    /// The error has no protocol.
    BG_E_PROTOCOL_NOT_AVAILABLE = 0x8020_0005, "the error has no protocol";
    /// The destination volume is locked.
    BG_E_DESTINATION_LOCKED = 0x8020_000D, "the destination volume is locked";
    /// The destination volume changed.
    BG_E_VOLUME_CHANGED = 0x8020_000E, "the destination volume changed";
    /// GetError outside ERROR and TRANSIENT_ERROR.
    BG_E_ERROR_INFORMATION_UNAVAILABLE = 0x8020_000F, "the job has no error";
    /// No network connection.
    BG_E_NETWORK_DISCONNECTED = 0x8020_0010, "there is no network connection";
    /// The server did not report the file's size.
    BG_E_MISSING_FILE_SIZE = 0x8020_0011, "the server did not report the file's size";
    /// The server does not speak enough HTTP/1.1.
    BG_E_INSUFFICIENT_HTTP_SUPPORT = 0x8020_0012, "the server does not support HTTP/1.1";
    /// The server cannot send byte ranges, so an interrupted file cannot be resumed.
    BG_E_INSUFFICIENT_RANGE_SUPPORT = 0x8020_0013, "the server cannot resume the file (no range support)";
    /// The server's answer does not make sense (wrong Content-Range, merged ranges, ...).
    BG_E_INVALID_SERVER_RESPONSE = 0x8020_001B, "the server sent an invalid response";
    /// A second file on an upload job.
    BG_E_TOO_MANY_FILES = 0x8020_001C, "upload jobs hold exactly one file";
    /// The local file changed during an upload.
    BG_E_LOCAL_FILE_CHANGED = 0x8020_001D, "the local file changed during the upload";
    /// The upload server lost the session.
    BG_E_SESSION_NOT_FOUND = 0x8020_001F, "the server does not know the upload session";
    /// Too large (upload over the server's limit; reply data over 1 MB).
    BG_E_TOO_LARGE = 0x8020_0020, "the data is too large";
    /// A name, description or command line is too long.
    BG_E_STRING_TOO_LONG = 0x8020_0021, "the text is too long";
    /// No common upload protocol with the server.
    BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH = 0x8020_0022, "the server does not speak the BITS upload protocol";
    /// The server's virtual directory allows script execution.
    BG_E_SERVER_EXECUTE_ENABLE = 0x8020_0023, "the server has script execution enabled on the upload folder";
    /// User name longer than 300 characters.
    BG_E_USERNAME_TOO_LARGE = 0x8020_0025, "the user name is longer than 300 characters";
    /// Password longer than 65,535 characters.
    BG_E_PASSWORD_TOO_LARGE = 0x8020_0026, "the password is longer than 65,535 characters";
    /// Unknown credentials target.
    BG_E_INVALID_AUTH_TARGET = 0x8020_0027, "unknown credentials target";
    /// Unknown or unsupported authentication scheme.
    BG_E_INVALID_AUTH_SCHEME = 0x8020_0028, "unknown or unsupported authentication scheme";
    /// A range is invalid (zero length, open offset, or beyond the end of the file).
    BG_E_INVALID_RANGE = 0x8020_002B, "a byte range is invalid";
    /// Ranges overlap or repeat.
    BG_E_OVERLAPPING_RANGES = 0x8020_002C, "byte ranges overlap";
    /// The proxy list is longer than 32 KB.
    BG_E_PROXY_LIST_TOO_LARGE = 0x8020_0018, "the proxy list is too long";
    /// The proxy bypass list is longer than 32 KB.
    BG_E_PROXY_BYPASS_LIST_TOO_LARGE = 0x8020_0019, "the proxy bypass list is too long";
    /// A bandwidth policy of 0 blocks background transfers now.
    BG_E_BLOCKED_BY_POLICY = 0x8020_003E, "a bandwidth policy blocks the transfer";
    /// Proxy settings do not work.
    BG_E_INVALID_PROXY_INFO = 0x8020_003F, "the proxy settings are invalid";
    /// Credentials are malformed.
    BG_E_INVALID_CREDENTIALS = 0x8020_0040, "the credentials are invalid";
    /// The per-user job limit (MaxJobsPerUser) is reached.
    BG_E_TOO_MANY_JOBS_PER_USER = 0x8020_0049, "you have reached the maximum number of jobs (MaxJobsPerUser)";
    /// The per-machine job limit (MaxJobsPerMachine) is reached.
    BG_E_TOO_MANY_JOBS_PER_MACHINE = 0x8020_0050, "the machine has reached the maximum number of jobs (MaxJobsPerMachine)";
    /// The per-job file limit (MaxFilesPerJob) is reached.
    BG_E_TOO_MANY_FILES_IN_JOB = 0x8020_0051, "the job has reached the maximum number of files (MaxFilesPerJob)";
    /// The per-file range limit (MaxRangesPerFile) is reached.
    BG_E_TOO_MANY_RANGES_IN_FILE = 0x8020_0052, "the file has too many byte ranges (MaxRangesPerFile)";
    /// The content was rejected by validation.
    BG_E_VALIDATION_FAILED = 0x8020_0053, "the downloaded content failed validation";
    /// The job spent longer than its maximum download time connecting or transferring.
    BG_E_MAXDOWNLOAD_TIMEOUT = 0x8020_0054, "the job exceeded its maximum download time";
    /// Not implemented for this job type or value.
    E_NOTIMPL = 0x8000_4001, "not supported for this job";
    /// Unspecified failure.
    E_FAIL = 0x8000_4005, "unspecified failure";
    /// Access denied.
    E_ACCESSDENIED = 0x8007_0005, "access denied";
    /// Invalid argument.
    E_INVALIDARG = 0x8007_0057, "invalid argument";
    /// The file was not found.
    ERROR_FILE_NOT_FOUND = 0x8007_0002, "the file was not found";
    /// The folder was not found.
    ERROR_PATH_NOT_FOUND = 0x8007_0003, "the folder was not found";
    /// The disk is full.
    ERROR_DISK_FULL = 0x8007_0070, "the disk is full";
    /// Complete found a file under the final name and was not asked to replace it.
    ERROR_FILE_EXISTS = 0x8007_0050, "a file with that name already exists";
    /// The destination is a folder, FIFO, device, socket or a link to one (never replaced).
    FERRY_E_NOT_A_REGULAR_FILE = 0xA0FE_0003, "the destination exists and is not a regular file";
    /// The downloaded file's digest differs from the expected checksum or the server's digest.
    FERRY_E_CHECKSUM_MISMATCH = 0xA0FE_0004, "the file's checksum does not match the expected one";
    /// Timed out talking to the server.
    ERROR_WINHTTP_TIMEOUT = 0x8007_2EE2, "the server did not answer in time";
    /// The server's name could not be resolved.
    ERROR_WINHTTP_NAME_NOT_RESOLVED = 0x8007_2EE7, "the server's name could not be resolved";
    /// The server could not be reached.
    ERROR_WINHTTP_CANNOT_CONNECT = 0x8007_2EFD, "the server could not be reached";
    /// The connection was closed before the answer was complete.
    ERROR_WINHTTP_CONNECTION_ERROR = 0x8007_2EFE, "the connection was closed early";
    /// Too many redirects.
    ERROR_WINHTTP_REDIRECT_FAILED = 0x8007_2F7C, "the server redirected too often or to a forbidden address";
    /// The TLS certificate or handshake failed.
    ERROR_WINHTTP_SECURE_FAILURE = 0x8007_2F8F, "the server's certificate could not be verified";
    /// The server answered with a web page (HTML) where the file was expected: an error page,
    /// an expired link, a login form (Ferry's own code: customer bit set).
    FERRY_E_WEB_PAGE_INSTEAD_OF_FILE = 0xA0FE_0001, "the server sent a web page instead of the file";
    /// The server compressed the bytes (Content-Encoding) where the file's plain bytes were
    /// asked for (Ferry's own code).
    FERRY_E_CONTENT_ENCODED = 0xA0FE_0002, "the server sent the file compressed (Content-Encoding) where its plain bytes were asked for";
}

/// Base of the `BG_E_HTTP_ERROR_nnn` codes.
const HTTP_ERROR_BASE: u32 = 0x8019_0000;

impl ErrorCode {
    /// The code for an HTTP status from a server or proxy: `0x80190000 + status`.
    pub fn http(status: u16) -> ErrorCode {
        ErrorCode(HTTP_ERROR_BASE + u32::from(status))
    }

    /// The HTTP status this code stands for, when it is a `BG_E_HTTP_ERROR_nnn`.
    pub fn http_status(self) -> Option<u16> {
        let status = self.0.checked_sub(HTTP_ERROR_BASE)?;
        (100..600).contains(&status).then_some(status as u16)
    }

    /// True for success codes (`S_OK`, `BG_S_*`).
    pub fn is_success(self) -> bool {
        self.0 & 0x8000_0000 == 0
    }

    /// The code's name, e.g. `BG_E_INVALID_STATE` or `BG_E_HTTP_ERROR_404`.
    pub fn name(self) -> Cow<'static, str> {
        if let Some(status) = self.http_status() {
            return Cow::Owned(format!("BG_E_HTTP_ERROR_{status}"));
        }
        match Self::NAMED.iter().find(|(code, _, _)| *code == self) {
            Some((_, name, _)) => Cow::Borrowed(name),
            None => Cow::Owned(format!("0x{:08X}", self.0)),
        }
    }

    /// A short, human sentence for the code.
    pub fn describe(self) -> Cow<'static, str> {
        if let Some(status) = self.http_status() {
            return Cow::Owned(format!("the server answered HTTP {status}"));
        }
        match Self::NAMED.iter().find(|(code, _, _)| *code == self) {
            Some((_, _, text)) => Cow::Borrowed(text),
            None => Cow::Borrowed("unknown error"),
        }
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:08X})", self.name(), self.0)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Where an error happened (BG_ERROR_CONTEXT, same numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorContext {
    /// No error.
    None = 0,
    /// Unknown.
    Unknown = 1,
    /// The queue manager itself (store, scheduler).
    GeneralQueueManager = 2,
    /// While notifying the client (notify command line).
    QueueManagerNotification = 3,
    /// The local file or folder (permission, disk full, file changed).
    LocalFile = 4,
    /// The remote file or URL (HTTP status, DNS, redirect, range problems).
    RemoteFile = 5,
    /// The transport, not specific to a file.
    GeneralTransport = 6,
    /// The server application that received an upload.
    RemoteApplication = 7,
}

/// The engine's error: a stable code, a context, a message for people, and the cause.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// The stable code callers switch on.
    pub code: ErrorCode,
    /// Where it happened.
    pub context: ErrorContext,
    /// A sentence for people; never parsed.
    pub message: String,
    /// The underlying failure, kept for logs.
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error with a code and a message, in no particular context.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            context: ErrorContext::None,
            message: message.into(),
            source: None,
        }
    }

    /// An error whose message is the code's own description.
    pub fn code(code: ErrorCode) -> Self {
        Error::new(code, code.describe())
    }

    /// Sets the context.
    pub fn in_context(mut self, context: ErrorContext) -> Self {
        self.context = context;
        self
    }

    /// Keeps the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// An error from the job store (context GENERAL_QUEUE_MANAGER), coded by
    /// [`store_error_code`], with SQLite's reason after `message`.
    pub fn store(message: impl fmt::Display, source: rusqlite::Error) -> Self {
        Error::new(store_error_code(&source), format!("{message}: {source}"))
            .in_context(ErrorContext::GeneralQueueManager)
            .with_source(source)
    }

    /// An error from a local file operation, mapped to a stable code by the OS error kind.
    pub fn local_io(what: impl fmt::Display, source: std::io::Error) -> Self {
        let code = io_error_code(&source);
        Error::new(code, format!("{what}: {source}"))
            .in_context(ErrorContext::LocalFile)
            .with_source(source)
    }
}

/// The stable code for a local I/O error.
pub fn io_error_code(error: &std::io::Error) -> ErrorCode {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => ErrorCode::E_ACCESSDENIED,
        ErrorKind::NotFound => ErrorCode::ERROR_PATH_NOT_FOUND,
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => ErrorCode::ERROR_DISK_FULL,
        _ => ErrorCode::E_FAIL,
    }
}

/// The stable code for a failure of the job store: ERROR_DISK_FULL when SQLite found the disk
/// full or could not write to it (an I/O error, which in practice is space running out),
/// E_ACCESSDENIED when the store is read-only or may not be opened, E_FAIL otherwise.
pub fn store_error_code(error: &rusqlite::Error) -> ErrorCode {
    use rusqlite::ErrorCode as Sqlite;
    match error.sqlite_error_code() {
        Some(Sqlite::DiskFull | Sqlite::SystemIoFailure) => ErrorCode::ERROR_DISK_FULL,
        Some(Sqlite::ReadOnly | Sqlite::PermissionDenied | Sqlite::CannotOpen) => {
            ErrorCode::E_ACCESSDENIED
        }
        _ => ErrorCode::E_FAIL,
    }
}

/// Short alias for results of engine calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_codes_are_offset_from_0x80190000() {
        assert_eq!(ErrorCode::http(404).0, 0x8019_0194);
        assert_eq!(ErrorCode::http(404).name(), "BG_E_HTTP_ERROR_404");
        assert_eq!(ErrorCode(0x8019_01F7).http_status(), Some(503));
        assert_eq!(ErrorCode::BG_E_INVALID_STATE.http_status(), None);
    }

    #[test]
    fn names_are_stable() {
        assert_eq!(ErrorCode::BG_E_INVALID_STATE.name(), "BG_E_INVALID_STATE");
        assert_eq!(ErrorCode::BG_S_PARTIAL_COMPLETE.0, 0x0020_0017);
        assert!(ErrorCode::BG_S_PARTIAL_COMPLETE.is_success());
        assert!(!ErrorCode::BG_E_EMPTY.is_success());
    }

    #[test]
    fn every_named_code_is_unique() {
        for (i, (a, name, _)) in ErrorCode::NAMED.iter().enumerate() {
            for (b, other, _) in &ErrorCode::NAMED[i + 1..] {
                assert_ne!(a, b, "{name} and {other} share a number");
            }
        }
    }
}
