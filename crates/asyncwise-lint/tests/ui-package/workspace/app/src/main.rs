// Three deep across two workspace members: handle -> blob_store::save -> disk::write_blob ->
// std::fs::write.
use blob_store::disk::Disk;

async fn handle(disk: &Disk, body: Vec<u8>) {
    blob_store::save(&body); //~ blocking_in_async
    disk.flush(); //~ blocking_in_async
    blob_store::describe(); // ok: does not block
}

#[tokio::main]
async fn main() {
    handle(&Disk::default(), Vec::new()).await;
}
