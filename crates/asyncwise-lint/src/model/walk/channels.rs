//! Channels: an unbounded channel whose sender is visibly not fed without limit (a
//! request/response queue, a control channel, a sender used outside loops, callbacks and tasks
//! per event) is recorded as low-volume with the reason; a `recv_timeout` with a near-zero
//! constant timeout is recorded as a polling receive.

use super::super::Loc;
use super::super::tokens::sender_use;
use super::Walker;

/// `let (tx, rx) = some::unbounded_channel();`-shaped statements (checked by name only; the
/// walker resolves the path).
pub(super) fn binds_channel(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Local(l) = stmt else {
        return false;
    };
    matches!(&l.pat, syn::Pat::Tuple(_))
        && l.init.as_ref().is_some_and(|i| {
            matches!(&*i.expr, syn::Expr::Call(c) if matches!(&*c.func, syn::Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| {
                let n = s.ident.to_string();
                n.contains("unbounded") || n.contains("channel")
            })))
        })
}

impl Walker {
    /// `let (tx, rx) = <unbounded constructor>();`: records the channel as low-volume when its
    /// sender is visibly not fed without limit in the rest of the block.
    pub(super) fn classify_channel(&mut self, c: &syn::ExprCall, pair: &syn::PatTuple) {
        let syn::Expr::Path(p) = &*c.func else { return };
        let path = self.resolver.resolve(&p.path);
        if self.knowledge.unbounded_constructor(&path).is_none() {
            return;
        }
        let Some(syn::Pat::Ident(sender)) = pair.elems.first() else {
            return;
        };
        let sender = sender.ident.to_string();
        let unit = p.path.segments.last().is_some_and(|s| {
            matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                if matches!(a.args.first(), Some(syn::GenericArgument::Type(syn::Type::Tuple(t))) if t.elems.is_empty()))
        });
        // `unbounded::<oneshot::Sender<_>>()`, `unbounded_channel::<(Req, oneshot::Sender<Resp>)>()`:
        // every message carries the reply its sender awaits, so the queue holds at most one
        // message per waiting caller.
        let request_reply = p.path.segments.last().is_some_and(|s| {
            matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                if a.args.iter().any(|g| quote::ToTokens::to_token_stream(g).to_string().replace(' ', "").contains("oneshot::Sender")))
        });
        let fed_in_loop = || {
            self.after_stmt.as_ref().is_some_and(|after| {
                sender_use(after.tokens.clone(), std::slice::from_ref(&sender)).in_loop
            })
        };
        let reason = if request_reply && !fed_in_loop() {
            Some("a request/response queue: each message carries a oneshot reply sender")
        } else if unit || self.knowledge.is_control_sender(&sender) {
            Some("a control or shutdown channel")
        } else {
            self.after_stmt.as_ref().and_then(|after| {
                let used = sender_use(after.tokens.clone(), std::slice::from_ref(&sender));
                (!used.in_loop && !used.escapes)
                    .then_some("its sender is not fed in a loop, a callback or a task per event")
            })
        };
        if let Some(reason) = reason {
            self.facts.low_volume_channels.push((Loc::call(c), reason));
        }
    }
}

/// A constant duration of at most one microsecond (`Duration::ZERO`, `Duration::from_nanos(1)`,
/// `from_micros(0..=1)`, `from_millis(0)`, `from_secs(0)`): a receive with such a timeout
/// returns at once, like `try_recv`.
pub(super) fn is_near_zero_duration(e: &syn::Expr) -> bool {
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
