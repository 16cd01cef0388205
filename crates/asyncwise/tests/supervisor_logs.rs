//! The supervisor logs every start, exit, restart and escalation.
//!
//! Alone in its own test binary: tracing caches each callsite's interest process-wide, so a
//! test on another thread that reaches the same event first, while no subscriber is set there,
//! could cache "never" between this test's `set_default` and its events.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncwise::{BoxError, CancellationToken, RestartPolicy, Supervisor, SupervisorError};
use tokio::time::sleep;

/// Records the `message` of every event, in order.
#[derive(Clone, Default)]
struct Messages(Arc<Mutex<Vec<String>>>);

impl tracing::Subscriber for Messages {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message<'a>(&'a mut String);
        impl tracing::field::Visit for Message<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    *self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = String::new();
        event.record(&mut Message(&mut message));
        self.0.lock().expect("messages").push(message);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// `Supervisor`: "Every start, exit, restart and escalation is a `tracing`
/// event."
#[tokio::test(start_paused = true)]
async fn a_supervisor_logs_every_start_exit_restart_and_escalation() {
    let messages = Messages::default();
    let _default = tracing::subscriber::set_default(messages.clone());
    let result = Supervisor::new(CancellationToken::new())
        .restart_intensity(1, Duration::from_secs(60))
        .child("crashy", RestartPolicy::Permanent, |_| async {
            sleep(Duration::from_millis(100)).await;
            Err::<(), BoxError>("crashed".into())
        })
        .run()
        .await;
    assert!(matches!(result, Err(SupervisorError::Escalated { .. })));
    let messages = messages.0.lock().expect("messages").clone();
    let count = |text: &str| messages.iter().filter(|m| m.contains(text)).count();
    assert_eq!(count("starting child"), 2, "{messages:?}"); // first start and one restart
    assert_eq!(count("child failed"), 2, "{messages:?}");
    assert_eq!(count("restart scheduled"), 1, "{messages:?}");
    assert_eq!(count("restart intensity exceeded"), 1, "{messages:?}");
}
