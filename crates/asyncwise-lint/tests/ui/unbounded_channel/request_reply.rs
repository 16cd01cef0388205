// unbounded_channel: request/response queues. When every message carries a
// `oneshot::Sender` for its reply (written in the constructor's turbofish), each caller sends
// one request and awaits the answer, so the queue never holds more than one message per
// waiting caller: the pedantic form. Fed in a loop, the same channel can fill faster than the
// worker answers (the loop need not await the reply), so it stays in the default form.
// Readings chosen: only the turbofish of the constructor is read; a message type declared
// elsewhere (an enum with a reply field) is not followed, and stays in the default form.
use futures::channel::mpsc;
use tokio::sync::oneshot;

pub struct Token;
pub struct Lookup(String);
pub struct Answer(u32);

pub struct TokenPool {
    waiters: mpsc::UnboundedSender<oneshot::Sender<Token>>,
}

impl TokenPool {
    pub fn start() -> TokenPool {
        let (waiters, queue) = mpsc::unbounded::<oneshot::Sender<Token>>(); //~ unbounded_channel(pedantic)
        std::thread::spawn(move || hand_out_tokens(queue));
        TokenPool { waiters }
    }
}

pub fn start_resolver() -> tokio::sync::mpsc::UnboundedSender<(Lookup, oneshot::Sender<Answer>)> {
    let (requests, inbox) = tokio::sync::mpsc::unbounded_channel::<(Lookup, oneshot::Sender<Answer>)>(); //~ unbounded_channel(pedantic)
    tokio::spawn(resolve_all(inbox));
    requests
}

pub async fn forward_lookups(mut names: Names) {
    let (requests, inbox) = tokio::sync::mpsc::unbounded_channel::<(Lookup, oneshot::Sender<Answer>)>(); //~ unbounded_channel
    tokio::spawn(resolve_all(inbox));
    while let Some(name) = names.next().await {
        let (reply, _answer) = oneshot::channel();
        requests.send((Lookup(name), reply)).ok();
    }
}

pub fn start_logger() -> tokio::sync::mpsc::UnboundedSender<Lookup> {
    let (lines, inbox) = tokio::sync::mpsc::unbounded_channel::<Lookup>(); //~ unbounded_channel
    tokio::spawn(write_all(inbox));
    lines
}
