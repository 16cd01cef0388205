// Brief desktop work in async code: showing a desktop notification with notify-rust. Readings:
// it blocks for milliseconds in the cases seen on real code, so it is the pedantic form wherever
// it runs, also through a sync helper of the crate; the async alternatives and offloaded calls
// are fine. Decoding or resizing an image is image work, like filesystem work default where a
// request handler reaches it (a single file knows no other file's handlers, so here it is
// default; the pedantic form off request paths: `tests/ui-package/image_work`).
use notify_rust::Notification;

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
