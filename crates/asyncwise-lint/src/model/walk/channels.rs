//! Channels: `let (tx, rx) = <unbounded constructor>()` statements, recorded as low-volume
//! with the reason when [`analysis::channels::low_volume`](low_volume) says the queue stays
//! small (the walker supplies the statements after the one that builds the channel). Polling
//! receives are recorded where method calls are (`calls.rs`), by
//! [`is_polling_receive`](crate::model::analysis::channels::is_polling_receive).

use super::super::Loc;
use super::super::analysis::channels::low_volume;
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
    /// queue stays small (see [`low_volume`]).
    pub(super) fn classify_channel(&mut self, c: &syn::ExprCall, pair: &syn::PatTuple) {
        let syn::Expr::Path(p) = &*c.func else { return };
        let path = self.resolver.resolve(&p.path);
        if self.knowledge.unbounded_constructor(&path).is_none() {
            return;
        }
        let Some(syn::Pat::Ident(sender)) = pair.elems.first() else {
            return;
        };
        let after = self.scope.after_stmt.as_ref().map(|after| &after.tokens);
        let reason = low_volume(&p.path, &sender.ident.to_string(), after, &self.knowledge);
        if let Some(reason) = reason {
            self.facts.low_volume_channels.push((Loc::call(c), reason));
        }
    }
}
