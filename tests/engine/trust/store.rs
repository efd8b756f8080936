//! What Ferry guarantees about the store: one engine per data folder. The cases with real
//! processes (a second owner, full and read-only disks, the command line's edges) are in
//! `tests/processes/trust/store.rs`.

use ferry_engine::Engine;

use crate::harness::test_config;
use crate::util::temp_dir;

#[tokio::test]
async fn item_4_engine_open_twice_on_one_data_dir_refuses_the_second() {
    let dir = temp_dir("lock-inprocess");
    let first = Engine::open(test_config(), dir.path()).await.unwrap();
    let second = Engine::open(test_config(), dir.path()).await;
    let error = second
        .err()
        .expect("a second engine on the same folder is refused");
    assert!(error.message.contains("in use by"), "{}", error.message);
    first.shutdown().await;
    let again = Engine::open(test_config(), dir.path())
        .await
        .expect("the folder is free once the first engine stopped");
    again.shutdown().await;
}
