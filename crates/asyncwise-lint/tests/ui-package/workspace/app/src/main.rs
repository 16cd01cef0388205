// Three deep across two workspace members: handle -> blob_store::save -> disk::write_blob ->
// std::fs::write (pedantic: this binary runs nothing concurrently).
use blob_store::disk::Disk;

async fn handle(disk: &Disk, body: Vec<u8>) {
    blob_store::save(&body); //~ blocking_in_async(pedantic)
    disk.flush(); //~ blocking_in_async(pedantic)
    blob_store::describe(); // ok: does not block
}

#[tokio::main]
async fn main() {
    handle(&Disk::default(), Vec::new()).await;
}
