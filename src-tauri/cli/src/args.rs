//! The command line: every verb, its arguments and its help (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Ferry: background transfers with the job model of Windows BITS. Every verb but `service`
/// talks to the owner of the data folder's queue, starting it when none runs.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about, long_about = None, max_term_width = 100)]
#[command(
    after_help = "Jobs are named by id or by a display name no other job has.\n\
Exit status: 0 done, 1 failed (the error's code on stderr), 2 wrong usage."
)]
pub struct Cli {
    /// The data folder whose queue to use (default: $FERRY_DATA_DIR when set and not empty,
    /// else ferry in the user's data folder, ~/.local/share/ferry).
    #[arg(long, global = true, value_name = "DIR", value_parser = data_dir)]
    pub data_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub verb: Verb,
}

/// A job's id, or a display name that names exactly one job.
pub type JobRef = String;

/// Output as JSON instead of text.
#[derive(Debug, Args, Clone, Copy)]
pub struct Json {
    /// Print JSON (the engine's own types) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The kind of job.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Kind {
    /// Files from servers.
    Download,
    /// One file to a BITS upload server.
    Upload,
    /// One file up, and the server's reply down.
    UploadReply,
}

/// A priority, as bitsadmin spells it.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PriorityArg {
    /// Runs at once, beside other foreground jobs.
    Foreground,
    /// Background, first.
    High,
    /// Background (the default of a new job).
    Normal,
    /// Background, last.
    Low,
}

/// Who credentials are for.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum TargetArg {
    /// The server.
    Server,
    /// The proxy.
    Proxy,
}

/// An authentication scheme.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SchemeArg {
    /// Basic.
    Basic,
    /// Digest.
    Digest,
}

/// How the job reaches the network.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ProxyUsage {
    /// The system's proxy settings.
    Preconfig,
    /// No proxy.
    NoProxy,
    /// The proxies given (LIST) and the hosts that bypass them (BYPASS).
    Override,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Run the owner of the queue in the foreground (for a terminal, SSH or a systemd user unit).
    Service {
        /// Started by a client on demand: Quit from the tray stops this owner too.
        #[arg(long, hide = true)]
        on_demand: bool,
    },
    /// Stop the running owner (jobs resume at its next start).
    Stop,
    /// Create a SUSPENDED job and print its id.
    Create {
        /// The kind of job.
        #[arg(long = "type", value_enum, default_value = "download")]
        kind: Kind,
        /// Its display name.
        name: String,
        /// Complete the download by itself once TRANSFERRED (its files go straight to their
        /// names).
        #[arg(long)]
        auto_complete: bool,
        /// Connections one file of the download may use at once (1 to 16; default: the
        /// `connections` setting).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
        connections: Option<u32>,
    },
    /// Add a file to a job.
    Addfile {
        /// The job.
        job: JobRef,
        /// Where it comes from (download) or goes to (upload): an http(s) URL.
        remote: String,
        /// Where it goes (download) or comes from (upload).
        local: PathBuf,
        /// The checksum the file must have (sha256:HEX, sha512:, sha1:, md5:, or SRI).
        #[arg(long, value_parser = checksum)]
        checksum: Option<String>,
    },
    /// Add every file of a list (one `REMOTE LOCAL` pair per line; # starts a comment).
    Addfileset {
        /// The job.
        job: JobRef,
        /// The list file.
        list: PathBuf,
    },
    /// Add a file of which only some ranges are downloaded, back to back.
    Addfilewithranges {
        /// The job.
        job: JobRef,
        /// The file's URL.
        remote: String,
        /// Where the ranges go.
        local: PathBuf,
        /// OFFSET:LENGTH pairs separated by commas; LENGTH `eof` means to the end.
        ranges: String,
    },
    /// Create a job, add the files, transfer them while showing progress, then complete it
    /// (cancel it on a fatal error, Ctrl-C or SIGTERM), like `bitsadmin /transfer`. A download
    /// never replaces a file: a destination that exists is refused before anything starts.
    Transfer(TransferArgs),
    /// List the jobs: `{ID} NAME STATE FILES_DONE / FILES BYTES_DONE / BYTES`.
    List {
        #[command(flatten)]
        json: Json,
        /// Also print each job's files.
        #[arg(long)]
        verbose: bool,
    },
    /// List a job's files.
    Listfiles {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Show a job.
    Info {
        /// The job.
        job: JobRef,
        /// Every property.
        #[arg(long)]
        verbose: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Watch the queue: a table refreshed every second; with --json, every event as one line.
    Monitor {
        #[command(flatten)]
        json: Json,
        /// Seconds between refreshes of the table.
        #[arg(long, default_value_t = 1)]
        refresh: u64,
    },
    /// Print a job's state.
    Getstate {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Print a job's total bytes (UNKNOWN while a size is unknown).
    Getbytestotal {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Print a job's transferred bytes.
    Getbytestransferred {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Print a job's error.
    Geterror {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Resume (start or continue) a job.
    Resume {
        /// The job.
        job: JobRef,
    },
    /// Suspend a job.
    Suspend {
        /// The job.
        job: JobRef,
    },
    /// Complete a job: its transferred files become available under their names.
    Complete {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Complete every job that is ready (TRANSFERRED): their files become available under their
    /// names; jobs in ERROR are left alone.
    Completeall {
        #[command(flatten)]
        json: Json,
    },
    /// Cancel a job: its temporary files are deleted.
    Cancel {
        /// The job.
        job: JobRef,
    },
    /// Set the priority.
    Setpriority {
        /// The job.
        job: JobRef,
        /// The priority.
        #[arg(value_enum)]
        priority: PriorityArg,
    },
    /// Set how many connections one file of a download job may use at once (1 to 16; 1 is one
    /// connection, as BITS does).
    Setconnections {
        /// The job.
        job: JobRef,
        /// Connections per file.
        connections: u32,
    },
    /// Set the job's own speed limit, over all its connections and for every priority, beside
    /// the bandwidth policy (the lower one holds); it applies to a running transfer at once.
    Setspeedlimit {
        /// The job.
        job: JobRef,
        /// Bytes per second with an optional unit (500K, 2M, 1.5MB/s; K = 1,000 bytes, Ki =
        /// 1,024), or none to lift the limit.
        #[arg(value_parser = crate::rate::parse_limit)]
        rate: crate::rate::Limit,
    },
    /// Set the seconds to wait before retrying after a transient error.
    Setminretrydelay {
        /// The job.
        job: JobRef,
        /// Seconds.
        seconds: u32,
    },
    /// Set the seconds without progress after which a transient error becomes fatal.
    Setnoprogresstimeout {
        /// The job.
        job: JobRef,
        /// Seconds.
        seconds: u32,
    },
    /// Set the seconds the job may spend transferring.
    Setmaxdownloadtime {
        /// The job.
        job: JobRef,
        /// Seconds.
        seconds: u32,
    },
    /// Set the program run when the job is transferred or fails (`NULL` clears it).
    Setnotifycmdline {
        /// The job.
        job: JobRef,
        /// The program (absolute path), or NULL.
        program: String,
        /// Its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        arguments: Vec<String>,
    },
    /// Set the notify flags (1 transferred, 2 error, 4 disable, 8 modification).
    Setnotifyflags {
        /// The job.
        job: JobRef,
        /// The flags.
        flags: u32,
    },
    /// Set credentials; the password is asked for (or read from stdin with --password-stdin).
    Setcredentials {
        /// The job.
        job: JobRef,
        /// Server or proxy.
        #[arg(value_enum)]
        target: TargetArg,
        /// The scheme.
        #[arg(value_enum)]
        scheme: SchemeArg,
        /// The user name.
        user: String,
        /// Read the password from the first line of stdin instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove credentials.
    Removecredentials {
        /// The job.
        job: JobRef,
        /// Server or proxy.
        #[arg(value_enum)]
        target: TargetArg,
        /// The scheme.
        #[arg(value_enum)]
        scheme: SchemeArg,
    },
    /// Set the custom headers (`Name: value` each; `NULL` clears them).
    Setcustomheaders {
        /// The job.
        job: JobRef,
        /// The headers.
        headers: Vec<String>,
    },
    /// Print the names of the custom headers (their values are never shown).
    Getcustomheaders {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Set the proxy.
    Setproxysettings {
        /// The job.
        job: JobRef,
        /// How to reach the network.
        #[arg(value_enum)]
        usage: ProxyUsage,
        /// OVERRIDE: the proxies, e.g. `http://proxy:3128`.
        list: Option<String>,
        /// OVERRIDE: hosts that bypass the proxy, separated by `;` or spaces.
        bypass: Option<String>,
    },
    /// Replace the start of every file's URL.
    Replaceremoteprefix {
        /// The job.
        job: JobRef,
        /// The prefix to replace.
        old: String,
        /// What replaces it.
        new: String,
    },
    /// Use an HTTP method other than GET for a download (before its first resume).
    Sethttpmethod {
        /// The job.
        job: JobRef,
        /// The method.
        method: String,
    },
    /// Set the display name.
    Setdisplayname {
        /// The job.
        job: JobRef,
        /// The name.
        name: String,
    },
    /// Set the description.
    Setdescription {
        /// The job.
        job: JobRef,
        /// The text.
        text: String,
    },
    /// Set where an upload-reply job's reply goes.
    Setreplyfilename {
        /// The job.
        job: JobRef,
        /// The file.
        path: PathBuf,
    },
    /// Print an upload-reply job's reply (as text; bytes that are not text as base64 with --json).
    Getreplydata {
        /// The job.
        job: JobRef,
        #[command(flatten)]
        json: Json,
    },
    /// Print the BITS policies, or one of them.
    Getpolicy {
        /// A policy's name, e.g. MaxInternetBandwidth.
        name: Option<String>,
    },
    /// Set one BITS policy to a JSON value, e.g. `setpolicy JobInactivityTimeoutSecs 86400`.
    Setpolicy {
        /// The policy's name.
        name: String,
        /// Its value, as JSON.
        value: String,
    },
    /// Print a completion script for a shell.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
    /// Set up the browser hand-off: the manifests that let the extension start `ferry`.
    Browser(crate::browser_setup::BrowserArgs),
}

/// `ferry transfer`'s arguments.
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// The job's display name (default: the first file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// The kind of job.
    #[arg(long = "type", value_enum, default_value = "download")]
    pub kind: Kind,
    /// The priority (default FOREGROUND: someone is waiting).
    #[arg(long, value_enum, default_value = "foreground")]
    pub priority: PriorityArg,
    /// A checksum per file, in the order of the files (repeat the option).
    #[arg(long, value_parser = checksum)]
    pub checksum: Vec<String>,
    /// Seconds to wait before retrying after a transient error.
    #[arg(long)]
    pub retry_delay: Option<u32>,
    /// Connections one file may use at once, from servers that allow it (1 to 16; 1 is one
    /// connection, as BITS does).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub connections: Option<u32>,
    /// The job's own speed limit: bytes per second with an optional unit (500K, 2M, 1.5MB/s;
    /// K = 1,000 bytes, Ki = 1,024).
    #[arg(long, value_name = "RATE", value_parser = crate::rate::parse_rate)]
    pub speed_limit: Option<u64>,
    /// Leave the job in the queue, transferring, and print its id instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// Also every file of a list: one `REMOTE LOCAL` pair per line, as `addfileset` reads
    /// (for more files than a command line holds). Its files come after those given as pairs.
    #[arg(long, value_name = "FILE")]
    pub list: Option<PathBuf>,
    /// REMOTE LOCAL pairs.
    #[arg(required_unless_present = "list", num_args = 2.., value_names = ["REMOTE", "LOCAL"])]
    pub files: Vec<String>,
}

/// A data folder given on the command line: an empty one is wrong usage (it would mean the
/// current folder, which nobody means).
fn data_dir(text: &str) -> Result<PathBuf, String> {
    if text.is_empty() {
        return Err("the data folder is empty; give the folder of the job store".to_owned());
    }
    Ok(PathBuf::from(text))
}

/// A checksum a file must match, checked before anything is sent: one that cannot be read is
/// wrong usage, with the reason.
fn checksum(text: &str) -> Result<String, String> {
    ferry_engine::integrity::Digest::parse_checksum(text)?;
    Ok(text.to_owned())
}
