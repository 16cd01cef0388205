//! The circuit breaker's state changes as tracing events. In a test binary of its own: a
//! subscriber set for one thread (`set_default`) races with other tests' threads that register
//! the same callsites with no subscriber, and an event could be filtered out by a cached
//! "never" interest.

use std::sync::{Arc, Mutex};
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
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer({
            let captured = captured.clone();
            move || captured.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let breaker = CircuitBreaker::builder()
        .name("db")
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .build();
    fail(&breaker).await.unwrap_err();
    sleep(Duration::from_secs(1)).await;
    succeed(&breaker).await.expect("trial");
    let text = String::from_utf8(captured.0.lock().expect("log").clone()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("WARN") && lines[0].contains("circuit breaker opened"));
    assert!(lines[0].contains("breaker=db"));
    assert!(lines[1].contains("INFO") && lines[1].contains("to=half-open"));
    assert!(lines[2].contains("INFO") && lines[2].contains("to=closed"));
}
