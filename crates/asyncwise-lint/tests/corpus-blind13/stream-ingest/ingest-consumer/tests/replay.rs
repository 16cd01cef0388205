use ingest_core::{Spool, decode, spool};

#[tokio::test]
async fn spooled_records_replay_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Spool::open(dir.path()).unwrap(); // @helper //~ blocking_in_async(pedantic)
    s.append(br#"{"tenant":"a","kind":"x","at_ms":1}"#).unwrap(); // @helper //~ blocking_in_async(pedantic)
    let back = spool::replay(s.path()).unwrap(); // @helper //~ blocking_in_async(pedantic)
    assert_eq!(back.len(), 1);
    assert_eq!(decode(&back[0]).unwrap().tenant, "a");
}
