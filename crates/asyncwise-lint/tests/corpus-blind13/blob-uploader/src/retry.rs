use std::future::Future;
use std::time::Duration;

/// Retries `attempt` up to `max` times with a doubling pause.
pub(crate) async fn with_retries<T, E, F, Fut>(max: u32, mut attempt: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let mut tries = 0;
    let mut pause = Duration::from_millis(200);
    loop {
        match attempt().await {
            Ok(v) => return Ok(v),
            Err(e) if tries + 1 < max => {
                tracing::debug!(error = %e, tries, "part failed, retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
                tries += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
