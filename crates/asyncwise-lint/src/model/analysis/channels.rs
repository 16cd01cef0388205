//! How much a channel's queue can hold and whether a receive waits: questions about channel
//! semantics the walker asks where it sees a channel built or received from.
//!
//! - [`low_volume`]: an unbounded channel whose queue stays small anyway (each message carries
//!   the reply its sender awaits; a control channel; a sender not fed per event). Read by
//!   `unbounded_channel`, which reports such channels only in pedantic mode.
//! - [`is_polling_receive`]: `recv_timeout` with a zero or near-zero constant timeout returns
//!   at once, like `try_recv`. Read by `blocking_in_async`, which does not call it blocking.
//!
//! They lived in the walker; they are analyses because each encodes what a channel does, not
//! where the walk is, and deserves tests of its own.

use proc_macro2::TokenStream;

use crate::knowledge::Knowledge;
use crate::model::tokens::sender_use;

/// Why an unbounded channel's queue stays small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowVolume {
    /// Every message carries the oneshot sender its caller awaits
    /// (`unbounded_channel::<(Req, oneshot::Sender<Resp>)>()`): at most one message per waiting
    /// caller.
    RequestReply,
    /// A `()` channel, or a sender named like a control signal (`shutdown_tx`).
    Control,
    /// The sender is not fed in a loop, a callback or a task per event, and not handed away.
    NotFedPerEvent,
    /// Every message sent carries a semaphore permit acquired before the send
    /// (`tx.send((job, permit))` after `let permit = sem.clone().acquire_owned().await?`), and
    /// the sender is not handed away: the queue holds at most as many messages as there are
    /// permits.
    PermitCarried,
}

impl LowVolume {
    /// Why, in words (the pedantic finding's note).
    ///
    /// ```
    /// use asyncwise_lint::model::analysis::channels::LowVolume;
    /// assert_eq!(LowVolume::Control.describe(), "a control or shutdown channel");
    /// ```
    pub fn describe(self) -> &'static str {
        match self {
            LowVolume::RequestReply => {
                "a request/response queue: each message carries a oneshot reply sender"
            }
            LowVolume::Control => "a control or shutdown channel",
            LowVolume::NotFedPerEvent => {
                "its sender is not fed in a loop, a callback or a task per event"
            }
            LowVolume::PermitCarried => {
                "every message carries a semaphore permit acquired before the send: the queue is bounded by the permits"
            }
        }
    }
}

/// Why the unbounded channel built by `constructor` (its path as written, turbofish included)
/// stays small, given the name its sender is bound to and the statements `after` the one that
/// builds it (`None` when the walker did not keep them: the sender's use is then unknown).
///
/// A request/response queue counts only when its sender is not fed in a loop; a sender used
/// some other way (passed on, stored, captured) may be fed anywhere, so it does not count.
///
/// ```
/// use asyncwise_lint::knowledge::Knowledge;
/// use asyncwise_lint::model::analysis::channels::{LowVolume, low_volume};
/// let ctor: syn::Path = syn::parse_str("mpsc::unbounded_channel").unwrap();
/// let after: proc_macro2::TokenStream = "tx.send(1).ok(); drop(rx);".parse().unwrap();
/// let k = Knowledge::builtin();
/// assert_eq!(low_volume(&ctor, "tx", Some(&after), &k), Some(LowVolume::NotFedPerEvent));
/// let fed: proc_macro2::TokenStream = "for x in xs { tx.send(x).ok(); }".parse().unwrap();
/// assert_eq!(low_volume(&ctor, "tx", Some(&fed), &k), None);
/// ```
pub fn low_volume(
    constructor: &syn::Path,
    sender: &str,
    after: Option<&TokenStream>,
    knowledge: &Knowledge,
) -> Option<LowVolume> {
    let turbofish = constructor
        .segments
        .last()
        .and_then(|s| match &s.arguments {
            syn::PathArguments::AngleBracketed(a) => Some(a),
            _ => None,
        });
    let unit = turbofish.is_some_and(|a| {
        matches!(a.args.first(), Some(syn::GenericArgument::Type(syn::Type::Tuple(t))) if t.elems.is_empty())
    });
    // `unbounded::<oneshot::Sender<_>>()`, `unbounded_channel::<(Req, oneshot::Sender<Resp>)>()`:
    // every message carries the reply its sender awaits, so the queue holds at most one
    // message per waiting caller.
    let request_reply = turbofish.is_some_and(|a| {
        a.args.iter().any(|g| {
            quote::ToTokens::to_token_stream(g)
                .to_string()
                .replace(' ', "")
                .contains("oneshot::Sender")
        })
    });
    let senders = [sender.to_string()];
    let permits = &knowledge.permit_methods;
    // How the sender is used in the rest of its block: read once (unknown without it).
    let used = after.map(|after| sender_use(after.clone(), &senders, permits));
    let fed_in_loop = used.is_some_and(|u| u.in_loop);
    let cloned_in_loop = used.is_some_and(|u| u.cloned_in_loop);
    if request_reply && !fed_in_loop {
        Some(LowVolume::RequestReply)
    } else if unit || (knowledge.is_control_sender(sender) && !cloned_in_loop) {
        // A name says "control" (`done_tx`), but a sender cloned in a loop (handed to a task
        // per event) carries a message per event, whatever it is called. One sent on in a
        // loop is not enough: a shutdown sent once before `break` is a control message.
        Some(LowVolume::Control)
    } else {
        used.and_then(|used| {
            if used.escapes {
                None
            } else if !used.in_loop {
                Some(LowVolume::NotFedPerEvent)
            } else {
                (used.sends > 0 && used.permitted_sends == used.sends && !used.clone_handed_away)
                    .then_some(LowVolume::PermitCarried)
            }
        })
    }
}

/// Is a method call named `method` with first argument `timeout` a receive that polls rather
/// than waits: `recv_timeout` with a constant duration of at most one microsecond
/// (`Duration::ZERO`, `Duration::from_nanos(1)`, `from_micros(0..=1)`, `from_millis(0)`,
/// `from_secs(0)`)? Such a receive returns at once, like `try_recv`.
///
/// ```
/// use asyncwise_lint::model::analysis::channels::is_polling_receive;
/// let zero: syn::Expr = syn::parse_str("Duration::from_millis(0)").unwrap();
/// let wait: syn::Expr = syn::parse_str("Duration::from_millis(50)").unwrap();
/// assert!(is_polling_receive("recv_timeout", Some(&zero)));
/// assert!(!is_polling_receive("recv_timeout", Some(&wait)));
/// assert!(!is_polling_receive("recv", Some(&zero)));
/// ```
pub fn is_polling_receive(method: &str, timeout: Option<&syn::Expr>) -> bool {
    method == "recv_timeout" && timeout.is_some_and(is_near_zero_duration)
}

/// A constant duration of at most one microsecond.
fn is_near_zero_duration(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "ZERO"),
        syn::Expr::Reference(r) => is_near_zero_duration(&r.expr),
        syn::Expr::Paren(p) => is_near_zero_duration(&p.expr),
        syn::Expr::Call(c) => {
            let syn::Expr::Path(f) = &*c.func else {
                return false;
            };
            let Some(ctor) = f.path.segments.last().map(|s| s.ident.to_string()) else {
                return false;
            };
            let Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            })) = c.args.first()
            else {
                return false;
            };
            let Ok(n) = n.base10_parse::<u64>() else {
                return false;
            };
            match ctor.as_str() {
                "from_nanos" => n <= 1_000,
                "from_micros" => n <= 1,
                "from_millis" | "from_secs" => n == 0,
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(ctor: &str, sender: &str, after: Option<&str>) -> Option<LowVolume> {
        let ctor: syn::Path = syn::parse_str(ctor).expect("test path parses");
        let after: Option<TokenStream> = after.map(|a| a.parse().expect("test tokens lex"));
        low_volume(&ctor, sender, after.as_ref(), &Knowledge::builtin())
    }

    #[test]
    fn a_request_reply_queue_is_small_unless_fed_in_a_loop() {
        let ctor = "mpsc::unbounded_channel::<(Request, oneshot::Sender<Response>)>";
        assert_eq!(
            volume(ctor, "tx", Some("spawn_worker(rx); handle(tx)")),
            Some(LowVolume::RequestReply)
        );
        assert_eq!(volume(ctor, "tx", None), Some(LowVolume::RequestReply));
        // fed per iteration: the queue grows with the loop, whatever each message carries
        assert_eq!(
            volume(ctor, "tx", Some("for r in reqs { tx.send(r).ok(); }")),
            None
        );
    }

    #[test]
    fn unit_messages_and_control_names_are_control_channels() {
        assert_eq!(
            volume(
                "unbounded_channel::<()>",
                "tx",
                Some("loop { tx.send(()).ok(); }")
            ),
            Some(LowVolume::Control)
        );
        assert_eq!(
            volume("unbounded_channel", "shutdown_tx", None),
            Some(LowVolume::Control)
        );
    }

    #[test]
    fn a_sender_used_once_is_small_one_fed_per_event_or_handed_away_is_not() {
        assert_eq!(
            volume(
                "unbounded_channel",
                "tx",
                Some("tx.send(cfg).ok(); run(rx).await;")
            ),
            Some(LowVolume::NotFedPerEvent)
        );
        assert_eq!(
            volume(
                "unbounded_channel",
                "tx",
                Some("while let Some(e) = next() { tx.send(e).ok(); }")
            ),
            None
        );
        // passed on: fed wherever the callee feeds it
        assert_eq!(
            volume("unbounded_channel", "tx", Some("start_listener(tx);")),
            None
        );
        // a clone fed in a loop is the same sender
        assert_eq!(
            volume(
                "unbounded_channel",
                "tx",
                Some("let tx2 = tx.clone(); for x in xs { tx2.send(x).ok(); }")
            ),
            None
        );
        // nothing known about the rest of the block
        assert_eq!(volume("unbounded_channel", "tx", None), None);
    }

    #[test]
    fn a_sender_whose_messages_carry_a_permit_is_bounded_by_the_permits() {
        let fed = "loop { let permit = sem.clone().acquire_owned().await.unwrap(); let job = next().await; tx.send((job, permit)).ok(); }";
        assert_eq!(
            volume("unbounded_channel", "tx", Some(fed)),
            Some(LowVolume::PermitCarried)
        );
        // one send without the permit: nothing bounds that one
        let mixed = "loop { let permit = sem.clone().acquire_owned().await.unwrap(); tx.send((job, permit)).ok(); tx.send((other, p2)).ok(); }";
        assert_eq!(volume("unbounded_channel", "tx", Some(mixed)), None);
        // handed away: fed wherever the callee feeds it
        let away = "loop { let permit = sem.clone().acquire_owned().await.unwrap(); tx.send((job, permit)).ok(); } start(tx);";
        assert_eq!(volume("unbounded_channel", "tx", Some(away)), None);
    }

    fn polls(method: &str, timeout: &str) -> bool {
        let e: syn::Expr = syn::parse_str(timeout).expect("test timeout parses");
        is_polling_receive(method, Some(&e))
    }

    #[test]
    fn only_near_zero_constant_timeouts_poll() {
        for t in [
            "Duration::ZERO",
            "&Duration::ZERO",
            "(Duration::from_nanos(1000))",
            "Duration::from_micros(1)",
            "Duration::from_millis(0)",
            "std::time::Duration::from_secs(0)",
        ] {
            assert!(polls("recv_timeout", t), "{t} polls");
        }
        for t in [
            "Duration::from_nanos(1001)",
            "Duration::from_micros(2)",
            "Duration::from_millis(1)",
            "Duration::from_secs(1)",
            "timeout",
            "Duration::from_millis(n)",
        ] {
            assert!(!polls("recv_timeout", t), "{t} waits");
        }
        assert!(!polls("recv", "Duration::ZERO"));
        assert!(!is_polling_receive("recv_timeout", None));
    }
}
