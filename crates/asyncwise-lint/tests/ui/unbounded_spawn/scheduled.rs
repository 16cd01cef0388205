// Readings: a loop whose iteration ticks an interval before it spawns (`interval.tick().await`)
// starts tasks at the timer's rate, a schedule: the pedantic form (tasks pile up only when each
// runs longer than the period). A `sleep` before the spawn is not taken for a schedule (an
// accept loop's error arm pauses so too), and a timer inside the spawned task paces nothing:
// the default form.
use std::time::Duration;
use tokio::time::{interval, sleep};

pub async fn refresh_every_minute(cache: Cache) {
    let mut ticker = interval(Duration::from_secs(60));
    loop {
        ticker.tick().await;
        let cache = cache.clone();
        tokio::spawn(async move { cache.refresh().await }); //~ unbounded_spawn(pedantic)
    }
}

pub async fn poll_with_sleep(client: Client, period: Duration) {
    loop {
        sleep(period).await;
        tokio::spawn(report(client.clone())); //~ unbounded_spawn
    }
}

pub async fn timer_inside_the_task(mut events: Events) {
    while let Some(event) = events.next().await {
        tokio::spawn(async move { //~ unbounded_spawn
            sleep(Duration::from_secs(1)).await;
            handle(event).await;
        });
    }
}
