// Readings: a lock that a `macro_rules!` body locks is not reported, since the expansion (not
// followed as code) may hold its guard across an await. A literal name (`$s.total.lock()`)
// covers locks of that name in the package; a metavariable (`$s.$pool.lock()`) covers every
// lock declared in the macro's file. Locks no macro touches are judged as usual.
mod stats;
mod store;
mod totals;

#[tokio::main]
async fn main() {
    let store = store::Store::default();
    store.assign("a").await;
    let stats = stats::Stats::default();
    stats.record().await;
}
