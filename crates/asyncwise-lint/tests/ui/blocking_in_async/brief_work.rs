// Image work and desktop notifications in async code. Readings: a notification blocks for
// milliseconds, the pedantic form wherever it runs, also through a sync helper of the crate.
// Decoding, encoding or resizing an image costs with the image's size: default on a per-event
// path (a handler that decodes every upload or preview), pedantic elsewhere (a cover decoded
// now and then). The async alternatives and offloaded calls are fine.
use notify_rust::Notification;

// Checked as a lone file, with no package to say who calls it, an async fn is judged as
// filesystem work is in `basic.rs`: default. In a package, image work off every per-event path
// is the pedantic form (as `asyncwise check` on a library holding this fn reports it).
pub async fn cover_thumbnail(bytes: Vec<u8>) -> anyhow::Result<image::DynamicImage> {
    let cover = image::load_from_memory(&bytes)?; //~ blocking_in_async
    Ok(cover.resize(64, 64, image::imageops::FilterType::Nearest)) //~ blocking_in_async
}

fn notify_track(title: &str) -> anyhow::Result<()> {
    let mut n = Notification::new();
    n.summary(title).body("now playing");
    n.show()?;
    Ok(())
}

pub async fn on_track_change(title: String) -> anyhow::Result<()> {
    notify_track(&title)?; //~ blocking_in_async(pedantic)
    Ok(())
}

pub async fn offloaded(bytes: Vec<u8>) -> anyhow::Result<image::DynamicImage> {
    // ok: on the blocking pool
    Ok(tokio::task::spawn_blocking(move || image::load_from_memory(&bytes)).await??)
}

pub async fn same_names(img: &Canvas) -> usize {
    img.resize(2, 2); // ok: a type of this crate, not the image crate's
    img.show(); // ok: not a notification
    0
}
