//! What a test writes into a data folder before an owner opens it: jobs in the store (the
//! owner under test is the first to run them) and the settings file.

use std::path::Path;

use ferry_engine::{Engine, FileSpec, JobId, JobType};

use crate::harness::test_config;

/// Writes a job downloading `url` to `local` into the store in `data`, changed by `setup` and
/// resumed, without transferring anything: the owner under test is the first to run it.
pub async fn queue_job(
    data: &Path,
    url: &str,
    local: &Path,
    setup: impl FnOnce(&Engine, JobId),
) -> JobId {
    queue(data, JobType::Download, url, local, setup).await
}

/// [`queue_job`] for an upload (`job_type` Upload or UploadReply) of the file `local` to `url`.
pub async fn queue_upload(data: &Path, job_type: JobType, url: &str, local: &Path) -> JobId {
    queue(data, job_type, url, local, |_, _| {}).await
}

async fn queue(
    data: &Path,
    job_type: JobType,
    url: &str,
    local: &Path,
    setup: impl FnOnce(&Engine, JobId),
) -> JobId {
    let engine = Engine::open(test_config(), data).await.unwrap();
    let id = engine.create_job("queued", job_type).unwrap();
    engine
        .add_file(
            id,
            FileSpec {
                remote_url: url.to_owned(),
                local_path: local.to_owned(),
            },
        )
        .unwrap();
    setup(&engine, id);
    engine.resume(id).unwrap();
    engine.shutdown().await;
    id
}

/// Writes the owner's settings file into `data` with these BITS policies (JSON), so the owner
/// has them from its first moment.
pub fn write_policies(data: &Path, policies: &str) {
    let policies: serde_json::Value = serde_json::from_str(policies).expect("policies as JSON");
    let settings = serde_json::json!({ "policies": policies });
    std::fs::write(
        data.join(ferry_owner::settings::SETTINGS_FILE),
        settings.to_string(),
    )
    .expect("write the settings file");
}
