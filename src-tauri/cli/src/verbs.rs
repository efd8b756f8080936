//! Every verb but `service`: connect to the owner (starting it when none runs), make the call,
//! print the answer.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};

use ferry_engine::{
    AuthScheme, AuthTarget, ByteRange, CompleteAllOutcome, CompleteOutcome, Credentials, ErrorCode,
    FileSpec, JobError, JobId, JobInfo, JobType, NotifyCommand, Policies, Priority, ProxySettings,
};
use ferry_owner::{launch, ApiError, Call, Client, Settings};
use serde::Serialize;

use crate::args::{Kind, PriorityArg, ProxyUsage, SchemeArg, TargetArg, Verb};
use crate::jobs;
use crate::print;
use crate::Outcome;

/// Runs `verb` against the owner of `data_dir`.
pub async fn run(data_dir: &Path, verb: Verb) -> Outcome {
    if let Verb::Stop = verb {
        return stop(data_dir).await;
    }
    let (client, _) = launch::connect_or_start(data_dir, &launch::ferry_program()).await?;
    let c = &client;
    match verb {
        Verb::Service { .. }
        | Verb::Stop
        | Verb::Completions { .. }
        | Verb::Man
        | Verb::Browser(_) => Ok(()),
        Verb::Create {
            kind,
            name,
            auto_complete,
            connections,
        } => {
            let id: JobId = c
                .call(Call::CreateJob {
                    display_name: name,
                    job_type: job_type(kind),
                })
                .await?;
            if auto_complete {
                c.call_value(Call::SetAutoComplete {
                    job: id,
                    enabled: true,
                })
                .await?;
            }
            // Uploads use one connection; a download without the flag takes the setting.
            let connections = match (connections, kind) {
                (Some(connections), _) => Some(connections),
                (None, Kind::Download) => {
                    let settings: Settings = c.call(Call::GetSettings).await?;
                    Some(settings.connections)
                }
                (None, _) => None,
            };
            if let Some(connections) = connections {
                c.call_value(Call::SetConnections {
                    job: id,
                    connections,
                })
                .await?;
            }
            println!("{id}");
            Ok(())
        }
        Verb::Addfile {
            job,
            remote,
            local,
            checksum,
        } => {
            let job = jobs::find(c, &job).await?;
            let index = u32::try_from(job.files.len()).unwrap_or(u32::MAX);
            let file = FileSpec {
                remote_url: remote,
                local_path: absolute(&local)?,
            };
            c.call_value(Call::AddFiles {
                job: job.id,
                files: vec![file],
            })
            .await?;
            if let Some(checksum) = checksum {
                c.call_value(Call::SetChecksum {
                    job: job.id,
                    file: index,
                    checksum: Some(checksum),
                })
                .await?;
            }
            Ok(())
        }
        Verb::Addfileset { job, list } => {
            let files = read_file_set(&list)?;
            let job = jobs::id(c, &job).await?;
            c.call_value(Call::AddFiles { job, files }).await?;
            Ok(())
        }
        Verb::Addfilewithranges {
            job,
            remote,
            local,
            ranges,
        } => {
            let ranges = parse_ranges(&ranges)?;
            let job = jobs::id(c, &job).await?;
            let file = FileSpec {
                remote_url: remote,
                local_path: absolute(&local)?,
            };
            c.call_value(Call::AddFileWithRanges { job, file, ranges })
                .await?;
            Ok(())
        }
        Verb::Transfer(args) => crate::transfer::run(c, args).await,
        Verb::List { json, verbose } => {
            let list: Vec<JobInfo> = c.call(Call::List).await?;
            if json.json {
                return print_json(&list);
            }
            for job in &list {
                println!("{}", print::list_line(job));
                if verbose {
                    for file in &job.files {
                        println!("  {}", print::file_line(file));
                    }
                }
            }
            println!("Listed {} job(s).", list.len());
            Ok(())
        }
        Verb::Listfiles { job, json } => {
            let job = jobs::find(c, &job).await?;
            if json.json {
                return print_json(&job.files);
            }
            for file in &job.files {
                println!("{}", print::file_line(file));
            }
            Ok(())
        }
        Verb::Info { job, verbose, json } => {
            let job = jobs::find(c, &job).await?;
            if json.json {
                return print_json(&job);
            }
            print!("{}", print::info(&job, verbose));
            Ok(())
        }
        Verb::Monitor { json, refresh } => crate::monitor::run(c, json.json, refresh).await,
        Verb::Getstate { job, json } => {
            let job = jobs::find(c, &job).await?;
            either(json.json, &job.state, job.state.name())
        }
        Verb::Getbytestotal { job, json } => {
            let job = jobs::find(c, &job).await?;
            either(
                json.json,
                &job.progress.bytes_total,
                &print::total(job.progress.bytes_total),
            )
        }
        Verb::Getbytestransferred { job, json } => {
            let job = jobs::find(c, &job).await?;
            let done = job.progress.bytes_transferred;
            either(json.json, &done, &done.to_string())
        }
        Verb::Geterror { job, json } => {
            let job = jobs::id(c, &job).await?;
            let error: JobError = c.call(Call::GetError { job }).await?;
            either(json.json, &error, &print::error_line(&error))
        }
        Verb::Resume { job } => simple(c, &job, |job| Call::Resume { job }).await,
        Verb::Suspend { job } => simple(c, &job, |job| Call::Suspend { job }).await,
        Verb::Complete { job, json } => {
            let job = jobs::id(c, &job).await?;
            let outcome: CompleteOutcome = c.call(Call::Complete { job }).await?;
            if json.json {
                return print_json(&outcome);
            }
            print_outcome(&outcome)
        }
        Verb::Completeall { json } => {
            let outcome: CompleteAllOutcome = c.call(Call::CompleteAllReady).await?;
            let said = ferry_owner::bulk_text::completed(outcome.completed, outcome.not_completed);
            either(json.json, &outcome, &said)
        }
        Verb::Cancel { job } => {
            let job = jobs::id(c, &job).await?;
            let code: ErrorCode = c.call(Call::Cancel { job }).await?;
            if code != ErrorCode::S_OK {
                eprintln!("ferry: cancelled, but {}", code.describe());
            }
            Ok(())
        }
        Verb::Setpriority { job, priority } => {
            let priority = priority_of(priority);
            simple(c, &job, |job| Call::SetPriority { job, priority }).await
        }
        Verb::Setconnections { job, connections } => {
            simple(c, &job, |job| Call::SetConnections { job, connections }).await
        }
        Verb::Setspeedlimit { job, rate } => {
            simple(c, &job, |job| Call::SetSpeedLimit {
                job,
                bytes_per_second: rate.0,
            })
            .await
        }
        Verb::Setminretrydelay { job, seconds } => {
            simple(c, &job, |job| Call::SetMinimumRetryDelay { job, seconds }).await
        }
        Verb::Setnoprogresstimeout { job, seconds } => {
            simple(c, &job, |job| Call::SetNoProgressTimeout { job, seconds }).await
        }
        Verb::Setmaxdownloadtime { job, seconds } => {
            simple(c, &job, |job| Call::SetMaximumDownloadTime { job, seconds }).await
        }
        Verb::Setnotifycmdline {
            job,
            program,
            arguments,
        } => {
            let command = (!program.eq_ignore_ascii_case("NULL")).then(|| NotifyCommand {
                program: PathBuf::from(program),
                args: arguments,
            });
            simple(c, &job, |job| Call::SetNotifyCommand { job, command }).await
        }
        Verb::Setnotifyflags { job, flags } => {
            simple(c, &job, |job| Call::SetNotifyFlags { job, flags }).await
        }
        Verb::Setcredentials {
            job,
            target,
            scheme,
            user,
            password_stdin,
        } => {
            let password = read_password(&user, password_stdin)?;
            let credentials = Credentials {
                target: target_of(target),
                scheme: scheme_of(scheme),
                user_name: user,
                password,
            };
            simple(c, &job, |job| Call::SetCredentials { job, credentials }).await
        }
        Verb::Removecredentials {
            job,
            target,
            scheme,
        } => {
            let (target, scheme) = (target_of(target), scheme_of(scheme));
            simple(c, &job, |job| Call::RemoveCredentials {
                job,
                target,
                scheme,
            })
            .await
        }
        Verb::Setcustomheaders { job, headers } => {
            let headers = parse_headers(&headers)?;
            simple(c, &job, |job| Call::SetCustomHeaders { job, headers }).await
        }
        Verb::Getcustomheaders { job, json } => {
            let job = jobs::find(c, &job).await?;
            if json.json {
                return print_json(&job.custom_header_names);
            }
            for name in &job.custom_header_names {
                println!("{name}: (value hidden)");
            }
            Ok(())
        }
        Verb::Setproxysettings {
            job,
            usage,
            list,
            bypass,
        } => {
            let proxy = proxy_of(usage, list, bypass)?;
            simple(c, &job, |job| Call::SetProxy { job, proxy }).await
        }
        Verb::Replaceremoteprefix { job, old, new } => {
            let job = jobs::id(c, &job).await?;
            let code: ErrorCode = c
                .call(Call::ReplaceRemotePrefix {
                    job,
                    old_prefix: old,
                    new_prefix: new,
                })
                .await?;
            if code != ErrorCode::S_OK {
                eprintln!("ferry: no file's URL starts with that prefix");
            }
            Ok(())
        }
        Verb::Sethttpmethod { job, method } => {
            simple(c, &job, |job| Call::SetHttpMethod { job, method }).await
        }
        Verb::Setdisplayname { job, name } => {
            simple(c, &job, |job| Call::SetDisplayName { job, name }).await
        }
        Verb::Setdescription { job, text } => {
            simple(c, &job, |job| Call::SetDescription { job, text }).await
        }
        Verb::Setreplyfilename { job, path } => {
            let path = absolute(&path)?;
            simple(c, &job, |job| Call::SetReplyFileName { job, path }).await
        }
        Verb::Getreplydata { job, json } => {
            let job = jobs::id(c, &job).await?;
            let encoded: String = c.call(Call::GetReplyData { job }).await?;
            if json.json {
                return print_json(&serde_json::json!({ "base64": encoded }));
            }
            let bytes = base64_decode(&encoded)?;
            use std::io::Write;
            std::io::stdout()
                .write_all(&bytes)
                .map_err(|e| ApiError::io("cannot write the reply", &e))
        }
        Verb::Getpolicy { name } => {
            let policies: serde_json::Value = c.call(Call::GetPolicies).await?;
            match name {
                None => print_json(&policies),
                Some(name) => match policies.get(&name) {
                    Some(value) => print_json(value),
                    None => Err(unknown_policy(&name, &policies)),
                },
            }
        }
        Verb::Setpolicy { name, value } => {
            let mut policies: serde_json::Value = c.call(Call::GetPolicies).await?;
            if policies.get(&name).is_none() {
                return Err(unknown_policy(&name, &policies));
            }
            let value: serde_json::Value = serde_json::from_str(&value).map_err(|e| {
                ApiError::new(
                    ErrorCode::E_INVALIDARG,
                    format!("{value} is not a JSON value: {e}"),
                )
            })?;
            policies[&name] = value;
            let policies = Policies::from_json(&policies.to_string())
                .map_err(|problem| ApiError::new(ErrorCode::E_INVALIDARG, problem))?;
            c.call_value(Call::SetPolicies { policies }).await?;
            Ok(())
        }
    }
}

/// How long `ferry stop` waits for the owner to finish stopping (its transfers flush first).
const STOP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Stops the running owner, if any, and returns once it has stopped: its last step is removing
/// its socket.
async fn stop(data_dir: &Path) -> Outcome {
    match launch::connect(data_dir).await {
        Ok(client) => {
            client.call_value(Call::Shutdown).await?;
            client.closed().await;
            let socket = ferry_owner::endpoint::socket_path(data_dir);
            let deadline = tokio::time::Instant::now() + STOP_PATIENCE;
            while socket.exists() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            if socket.exists() {
                eprintln!(
                    "ferry: the owner was asked to stop but has not finished after {} s",
                    STOP_PATIENCE.as_secs()
                );
            }
            Ok(())
        }
        Err(_) => {
            eprintln!("ferry: no owner runs for {}", data_dir.display());
            Ok(())
        }
    }
}

async fn simple(client: &Client, job: &str, call: impl FnOnce(JobId) -> Call) -> Outcome {
    let id = jobs::id(client, job).await?;
    client.call_value(call(id)).await?;
    Ok(())
}

fn print_json(value: &impl Serialize) -> Outcome {
    let text = serde_json::to_string_pretty(value).map_err(ApiError::internal)?;
    println!("{text}");
    Ok(())
}

fn either(json: bool, value: &impl Serialize, text: &str) -> Outcome {
    if json {
        print_json(value)
    } else {
        println!("{text}");
        Ok(())
    }
}

/// What Complete did, for people.
pub fn print_outcome(outcome: &CompleteOutcome) -> Outcome {
    for path in &outcome.kept {
        println!("{}", path.display());
    }
    if outcome.rename_failures.is_empty() {
        return Ok(());
    }
    for failure in &outcome.rename_failures {
        eprintln!(
            "ferry: {} was not put in place: {}",
            failure.path.display(),
            failure.message
        );
    }
    Err(ApiError::new(
        outcome.rename_failures[0].code,
        format!(
            "{} file(s) could not be put in place; the job stays so you can fix that and complete it again",
            outcome.rename_failures.len()
        ),
    ))
}

/// The job type of `kind`.
pub fn job_type(kind: Kind) -> JobType {
    match kind {
        Kind::Download => JobType::Download,
        Kind::Upload => JobType::Upload,
        Kind::UploadReply => JobType::UploadReply,
    }
}

/// The priority of `priority`.
pub fn priority_of(priority: PriorityArg) -> Priority {
    match priority {
        PriorityArg::Foreground => Priority::Foreground,
        PriorityArg::High => Priority::High,
        PriorityArg::Normal => Priority::Normal,
        PriorityArg::Low => Priority::Low,
    }
}

fn target_of(target: TargetArg) -> AuthTarget {
    match target {
        TargetArg::Server => AuthTarget::Server,
        TargetArg::Proxy => AuthTarget::Proxy,
    }
}

fn scheme_of(scheme: SchemeArg) -> AuthScheme {
    match scheme {
        SchemeArg::Basic => AuthScheme::Basic,
        SchemeArg::Digest => AuthScheme::Digest,
    }
}

fn proxy_of(
    usage: ProxyUsage,
    list: Option<String>,
    bypass: Option<String>,
) -> Result<ProxySettings, ApiError> {
    Ok(match usage {
        ProxyUsage::Preconfig => ProxySettings::Preconfig,
        ProxyUsage::NoProxy => ProxySettings::NoProxy,
        ProxyUsage::Override => ProxySettings::Override {
            proxy: list.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::E_INVALIDARG,
                    "OVERRIDE needs the proxy list, e.g. http://proxy:3128",
                )
            })?,
            bypass: bypass.unwrap_or_default(),
        },
    })
}

/// A path made absolute against this process's working folder (the owner's means nothing).
pub fn absolute(path: &Path) -> Result<PathBuf, ApiError> {
    std::path::absolute(path)
        .map_err(|e| ApiError::io(format!("cannot find {}", path.display()), &e))
}

/// The files of a bitsadmin file-set list, their local paths made absolute.
fn read_file_set(list: &Path) -> Result<Vec<FileSpec>, ApiError> {
    crate::file_set::read(list)?
        .into_iter()
        .map(|pair| {
            Ok(FileSpec {
                remote_url: pair.remote,
                local_path: absolute(Path::new(&pair.local))?,
            })
        })
        .collect()
}

/// `OFFSET:LENGTH,…` with LENGTH `eof` for "to the end".
fn parse_ranges(text: &str) -> Result<Vec<ByteRange>, ApiError> {
    let bad = |part: &str| {
        ApiError::new(
            ErrorCode::E_INVALIDARG,
            format!("{part:?} is not a range: write OFFSET:LENGTH, LENGTH a number or eof"),
        )
    };
    text.split(',')
        .map(|part| {
            let (offset, length) = part.trim().split_once(':').ok_or_else(|| bad(part))?;
            let offset = offset.trim().parse().map_err(|_| bad(part))?;
            let length = match length.trim() {
                l if l.eq_ignore_ascii_case("eof") => None,
                l => Some(l.parse().map_err(|_| bad(part))?),
            };
            Ok(ByteRange { offset, length })
        })
        .collect()
}

/// `Name: value` headers; a single `NULL` clears them.
fn parse_headers(headers: &[String]) -> Result<Vec<(String, String)>, ApiError> {
    if headers.len() == 1 && headers[0].eq_ignore_ascii_case("NULL") {
        return Ok(Vec::new());
    }
    headers
        .iter()
        .map(|header| {
            let (name, value) = header.split_once(':').ok_or_else(|| {
                ApiError::new(
                    ErrorCode::E_INVALIDARG,
                    format!("{header:?} is not a header: write \"Name: value\""),
                )
            })?;
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// The password: from a prompt that does not echo, or the first line of stdin.
fn read_password(user: &str, from_stdin: bool) -> Result<String, ApiError> {
    let read = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map(|_| line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        rpassword::prompt_password(format!("Password for {user}: "))
    };
    read.map_err(|e| ApiError::io("cannot read the password", &e))
}

fn base64_decode(text: &str) -> Result<Vec<u8>, ApiError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| ApiError::internal(format!("the reply is not base64: {e}")))
}

fn unknown_policy(name: &str, policies: &serde_json::Value) -> ApiError {
    let known: Vec<&str> = policies
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    ApiError::new(
        ErrorCode::E_INVALIDARG,
        format!(
            "there is no policy {name}; the policies are {}",
            known.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_offsets_lengths_and_eof() {
        assert_eq!(
            parse_ranges("0:100, 200:eof").unwrap(),
            vec![
                ByteRange {
                    offset: 0,
                    length: Some(100)
                },
                ByteRange {
                    offset: 200,
                    length: None
                }
            ]
        );
        assert!(parse_ranges("5").is_err());
        assert!(parse_ranges("a:1").is_err());
    }

    #[test]
    fn headers_split_at_the_first_colon_and_null_clears() {
        assert_eq!(
            parse_headers(&["X-Token: a:b".into()]).unwrap(),
            vec![("X-Token".into(), "a:b".into())]
        );
        assert!(parse_headers(&["NULL".into()]).unwrap().is_empty());
        assert!(parse_headers(&["nocolon".into()]).is_err());
    }
}
