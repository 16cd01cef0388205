// Feeds are re-read by a timer: an inherent async `refresh` that shares its name with the
// untyped `source.refresh()` of the connection task is not on that task's path.
pub struct Feeds;

impl Feeds {
    pub async fn refresh(&self) {
        let _list = std::fs::read_to_string("feeds.toml"); //~ blocking_in_async(pedantic)
    }
}

pub async fn refresh_every_minute() {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        let feeds = registry::get("feeds");
        feeds.refresh().await;
    }
}
