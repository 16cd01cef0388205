//! Session 13's blind audit, the `tracing` promises (a binary of its own: the capturing
//! subscriber is per thread). From the crate docs: "Every task that the crate spawns runs inside
//! a `tracing` span named `task` with the fields `task.name` and `task.location`; failures,
//! panics, restarts, escalations and stragglers are `tracing` events."

#[path = "support/captured_log.rs"]
mod captured_log;

use std::time::Duration;

use asyncwise::{
    BoxError, CancellationToken, CircuitBreaker, OnError, PipelineExt, RestartPolicy, Shutdown,
    Supervisor, TaskGroup,
};
use futures_util::StreamExt;

/// One test so that the subscriber, set for this thread, sees every event in order; each part
/// names the promise it checks.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn spans_and_events_the_docs_promise() {
    let (log, _guard) = captured_log::capture(tracing::Level::DEBUG);

    // The span of a group task, with its name and spawn location.
    let mut group = TaskGroup::new();
    let spawned_at = line!() + 2;
    group
        .spawn("span-probe", async {
            tracing::info!("inside the probe");
        })
        .unwrap();
    group.join_all().await;
    let text = log.text();
    let line = text
        .lines()
        .find(|l| l.contains("inside the probe"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("task{"), "{line}");
    assert!(line.contains("span-probe"), "{line}");
    assert!(
        line.contains(&format!("{}:{spawned_at}", file!())),
        "{line}"
    );

    // A failure and a panic of a group task are events naming the task.
    let mut group = TaskGroup::new();
    group
        .spawn("failing-task", async { Err::<(), _>("disk on fire") })
        .unwrap();
    group
        .spawn("panicking-task", async {
            if true {
                panic!("wires crossed");
            }
            Ok::<(), &str>(())
        })
        .unwrap();
    group.join_all().await;
    let text = log.text();
    assert!(
        text.contains("failing-task") && text.contains("disk on fire"),
        "{text}"
    );
    assert!(
        text.contains("panicking-task") && text.contains("wires crossed"),
        "{text}"
    );

    // A straggler of a drain is an event naming it.
    let shutdown = Shutdown::with_deadline(Duration::from_secs(1));
    shutdown.spawn("straggling-task", std::future::pending::<()>());
    let _ = shutdown.drain().await;
    let text = log.text();
    assert!(
        text.lines()
            .any(|l| l.contains("straggling-task") && !l.contains("task{")),
        "{text}"
    );

    // Restarts and escalations of a supervisor are events.
    let _ = Supervisor::new(CancellationToken::new())
        .restart_intensity(1, Duration::from_secs(60))
        .child("restarting-child", RestartPolicy::Permanent, |_ctx| async {
            Err::<(), BoxError>("child down".into())
        })
        .run()
        .await;
    let text = log.text();
    let restarting = text
        .lines()
        .filter(|l| l.contains("restarting-child") && !l.contains("task{"))
        .count();
    assert!(restarting >= 2, "a restart and an escalation: {text}");
    assert!(text.to_lowercase().contains("escalat"), "{text}");

    // Breaker: "Changes are also `tracing` events (warn when opening, info otherwise)."
    let breaker = CircuitBreaker::builder()
        .name("probe-breaker")
        .consecutive_failures(1)
        .open_for(Duration::from_secs(1))
        .build();
    let _ = breaker.call(async { Err::<(), _>("x") }).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = breaker.call(async { Ok::<(), &str>(()) }).await;
    let text = log.text();
    let breaker_lines: Vec<_> = text
        .lines()
        .filter(|l| l.contains("probe-breaker"))
        .collect();
    assert!(breaker_lines.iter().any(|l| l.contains("WARN")), "{text}");
    assert!(
        breaker_lines.iter().filter(|l| l.contains("INFO")).count() >= 2,
        "{text}"
    );

    // Pipeline `OnError::Skip`: "a `tracing` debug event records the item's index".
    let kept: Vec<_> = futures_util::stream::iter([1_u32, 2])
        .map_concurrent(1, |n| async move {
            if n == 2 {
                Err("skipped-item-error")
            } else {
                Ok(n)
            }
        })
        .on_error(OnError::Skip)
        .collect()
        .await;
    assert_eq!(kept.len(), 1);
    let text = log.text();
    assert!(
        text.lines()
            .any(|l| l.contains("DEBUG") && l.contains("skipped") && l.contains("index=1")),
        "{text}"
    );
}
