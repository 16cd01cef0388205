// Readings: definitions of one function in one file under `cfg` alternatives are one function
// whichever build compiles: a call blocks when one of them blocks by itself. Alternatives that
// do not block, and a name defined in two files, stay silent.
mod db;

pub async fn on_signal() {
    match db::backup() { //~ blocking_in_async(pedantic)
        Ok(path) => tracing::info!("backup written to {path}"),
        Err(e) => tracing::error!("backup failed: {e}"),
    }
}

pub async fn status() -> &'static str {
    db::engine() // ok: neither alternative blocks
}
