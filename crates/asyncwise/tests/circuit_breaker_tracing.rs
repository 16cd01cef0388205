//! The circuit breaker's state changes as tracing events. In a test binary of its own: a
//! subscriber set for one thread (`set_default`) races with other tests' threads that register
//! the same callsites with no subscriber, and an event could be filtered out by a cached
//! "never" interest.

#[path = "support/captured_log.rs"]
mod captured_log;

use std::time::Duration;

use asyncwise::{BreakerError, CircuitBreaker};
use tokio::time::sleep;

async fn fail(breaker: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    breaker.call(async { Err("down") }).await
}

async fn succeed(breaker: &CircuitBreaker) -> Result<(), BreakerError<&'static str>> {
    breaker.call(async { Ok(()) }).await
}

#[tokio::test(start_paused = true)]
async fn state_changes_are_tracing_events_warn_when_opening() {
    let (captured, _guard) = captured_log::capture(tracing::Level::INFO);
    let breaker = CircuitBreaker::builder()
        .name("db")
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .build();
    fail(&breaker).await.unwrap_err();
    sleep(Duration::from_secs(1)).await;
    succeed(&breaker).await.expect("trial");
    let text = captured.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("WARN") && lines[0].contains("circuit breaker opened"));
    assert!(lines[0].contains("breaker=db"));
    assert!(lines[1].contains("INFO") && lines[1].contains("to=half-open"));
    assert!(lines[2].contains("INFO") && lines[2].contains("to=closed"));
}
