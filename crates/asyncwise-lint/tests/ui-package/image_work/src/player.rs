use futures::StreamExt;

pub struct Event {
    pub cover: Vec<u8>,
}

pub async fn run() {
    let mut events = futures::stream::iter(Vec::<Event>::new());
    while let Some(event) = events.next().await {
        show_cover(event).await;
    }
}

async fn show_cover(event: Event) {
    let small = crate::thumbs::shrink(&event.cover); //~ blocking_in_async(pedantic)
    draw(small).await;
}

async fn draw(_pixels: Vec<u8>) {}
