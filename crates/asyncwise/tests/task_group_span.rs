//! A task group's tasks run inside a `task` span named after them.
//!
//! Alone in its own test binary: tracing caches each callsite's interest process-wide, so a
//! test on another thread that reaches the same span first, while no subscriber is set there,
//! can cache "never" between this test's `set_default` and its span (a rare, real flake when
//! this test shared a binary with the other task-group tests).

use std::sync::Arc;

use asyncwise::{BoxError, TaskGroup};

#[tokio::test]
async fn tasks_run_inside_a_span_named_after_them() {
    use tracing::Subscriber;
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata};

    /// Records the `task.name` field of every `task` span it sees.
    #[derive(Clone, Default)]
    struct Names(Arc<std::sync::Mutex<Vec<String>>>);
    struct Visit<'a>(&'a mut Option<String>);
    impl tracing::field::Visit for Visit<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "task.name" {
                *self.0 = Some(format!("{value:?}"));
            }
        }
    }
    impl Subscriber for Names {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, attrs: &Attributes<'_>) -> Id {
            if attrs.metadata().name() == "task" {
                let mut name = None;
                attrs.record(&mut Visit(&mut name));
                if let Some(name) = name {
                    self.0.lock().unwrap().push(name);
                }
            }
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, _: &Event<'_>) {}
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    let names = Names::default();
    let _default = tracing::subscriber::set_default(names.clone());
    let mut group = TaskGroup::new();
    group
        .spawn("named-task", async { Ok::<_, BoxError>(()) })
        .unwrap();
    group.try_join_all().await.unwrap();
    assert_eq!(*names.0.lock().unwrap(), ["named-task"]);
}
