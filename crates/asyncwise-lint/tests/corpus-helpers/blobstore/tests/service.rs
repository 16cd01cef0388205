//! End-to-end: what the service writes, a store opened later reads.

use bytes::Bytes;

use blobstore::storage::DiskStore;
use blobstore::BlobService;

#[tokio::test]
async fn survives_a_restart() {
    let dir = std::env::temp_dir().join("blobstore-restart");
    let svc = BlobService::open(dir.clone()).await.unwrap();
    svc.put("ab12".into(), Bytes::from_static(b"x")).await.unwrap();
    drop(svc);

    let disk = DiskStore::open(&dir).unwrap(); // @helper //~? blocking_in_async
    assert!(disk.read_blob("ab12").unwrap().is_some()); // @helper //~? blocking_in_async
}

#[test]
fn export_writes_each_blob() {
    let dir = std::env::temp_dir().join("blobstore-export");
    let disk = DiskStore::open(&dir).unwrap(); // @helper
    let out = std::env::temp_dir().join("blobstore-export-out");
    assert_eq!(blobstore::service::export(&disk, &out).unwrap(), 0); // @helper
}
