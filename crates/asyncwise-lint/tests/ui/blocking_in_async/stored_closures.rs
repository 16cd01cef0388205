// Closures that are stored or registered rather than run: their body is not the enclosing async
// context. Seen on real code as `Box<dyn Fn>` fields (`wait: Box::new(move || rx.recv())`),
// `ctrlc::set_handler` and notify watchers (run on a thread of their own) and failpoint callbacks.
// Readings: a closure handed to `Box::new`/`Arc::new`/`Rc::new`, placed in a struct literal's
// field, or given to a registrar runs who knows where: no finding. A closure called inline in
// async code still is async context.
use std::sync::mpsc;

pub struct Waiter {
    wait: Box<dyn Fn() -> Option<u32> + Send>,
}

pub async fn make_waiter(rx: mpsc::Receiver<u32>) -> Waiter {
    let rx = std::sync::Mutex::new(rx);
    Waiter {
        wait: Box::new(move || rx.lock().unwrap().recv().ok()), // ok: stored, called elsewhere
    }
}

pub struct Hooks<F: Fn()> {
    on_exit: F,
}

pub async fn hooks() -> Hooks<impl Fn()> {
    Hooks {
        on_exit: || std::thread::sleep(std::time::Duration::from_millis(5)), // ok: stored in a field
    }
}

pub async fn install_ctrlc(tx: mpsc::Sender<()>) {
    ctrlc::set_handler(move || {
        std::thread::sleep(std::time::Duration::from_millis(50)); // ok: runs on ctrlc's own thread
        let _ = tx.send(());
    })
    .expect("install handler");
}

pub async fn watch_config(tx: tokio::sync::mpsc::Sender<notify::Result<notify::Event>>) {
    use notify::Watcher;
    let mut watcher = notify::recommended_watcher(move |res| {
        let _ = tx.blocking_send(res); // ok: notify runs the handler on the watcher's own thread
    })
    .expect("watcher");
    watcher
        .watch(std::path::Path::new("app.toml"), notify::RecursiveMode::NonRecursive)
        .expect("watch");
}

pub async fn debounced(tx: std::sync::mpsc::Sender<()>) {
    let _debouncer =
        notify_debouncer_mini::new_debouncer(std::time::Duration::from_secs(1), move |_events| {
            std::thread::sleep(std::time::Duration::from_millis(5)); // ok: the debouncer's thread
            let _ = tx.send(());
        });
}

pub async fn failpoints() {
    fail::cfg_callback("before-flush", || {
        std::thread::sleep(std::time::Duration::from_millis(10)); // ok: a callback kept by the failpoint registry
    })
    .unwrap();
}

pub async fn shared_callback() -> std::sync::Arc<dyn Fn(&str) -> String + Send + Sync> {
    std::sync::Arc::new(|p: &str| std::fs::read_to_string(p).unwrap_or_default()) // ok: stored
}

pub async fn inline_still_counts(path: String) -> Option<String> {
    let load = |p: &str| std::fs::read_to_string(p).ok(); //~ blocking_in_async
    load(&path)
}

pub async fn map_runs_inline(paths: Vec<String>) -> Vec<String> {
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default()) //~ blocking_in_async
        .collect()
}

// A crate's own async helper that takes a closure and runs it on a pool of its own, awaited
// through a span wrapper: `instrument` keeps the future it wraps, so the helper's call is
// awaited all the same and its closure is not this async context.
pub struct Renderer;

impl Renderer {
    pub async fn on_pool<F: FnOnce() -> u32 + Send + 'static>(&self, job: F) -> u32 {
        job()
    }
}

pub async fn render_page(renderer: &Renderer, input: tokio::sync::mpsc::Receiver<u32>) -> u32 {
    use tracing::Instrument;
    let mut input = input;
    renderer
        .on_pool(move || input.blocking_recv().unwrap_or_default()) // ok: awaited via `instrument`
        .instrument(tracing::info_span!("render"))
        .await
}

pub async fn render_unawaited(renderer: &Renderer, input: mpsc::Receiver<u32>) {
    let _pending = renderer.on_pool(|| input.recv().unwrap_or_default()); //~ blocking_in_async
}
