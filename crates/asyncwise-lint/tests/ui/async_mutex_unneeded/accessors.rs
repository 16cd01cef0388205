// async_mutex_unneeded on statics handed out by a function of the same file (`fn limiter() ->
// &'static Mutex<..> { LIMITER.get_or_init(..) }`): a lock call on the function's value is a
// lock call on the static. Readings: the static is judged by every guard taken through its
// accessor; a guard held across an await through the accessor keeps it quiet.
use std::sync::OnceLock;
use std::time::Instant;

use tokio::sync::Mutex;

#[derive(Default)]
pub struct Window {
    started: Option<Instant>,
    count: u32,
}

static LIMITER: OnceLock<Mutex<Window>> = OnceLock::new(); //~ async_mutex_unneeded(pedantic)

fn limiter() -> &'static Mutex<Window> {
    LIMITER.get_or_init(|| Mutex::new(Window::default()))
}

pub async fn allow(now: Instant) -> bool {
    let mut window = limiter().lock().await;
    if window.started.is_none() {
        window.started = Some(now);
    }
    window.count += 1;
    window.count < 100
}

// ok: its guard is alive at the await, taken through the accessor
static LINK: OnceLock<Mutex<Link>> = OnceLock::new();

fn link() -> &'static Mutex<Link> {
    LINK.get().expect("connected at start-up")
}

pub async fn relay(bytes: &[u8]) {
    let mut conn = link().lock().await;
    conn.write(bytes).await;
}

pub fn connect() {
    let _ = LINK.set(Mutex::new(Link));
}

pub struct Link;

impl Link {
    async fn write(&mut self, _bytes: &[u8]) {}
}
