//! Token-level facts about a region of code (a loop, a spawned future, a macro body).
//!
//! Loops and macro bodies are checked at the token level because the facts that matter there
//! (a permit acquired, a task set drained, an `.accept()` awaited) may sit inside macros such as
//! `tokio::select!` whose bodies are not syntax trees.

use proc_macro2::{TokenStream, TokenTree};

/// A method call seen in tokens: `receiver.method(`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodToken {
    /// The identifier just before the dot, if any (`set` in `set.spawn(..)`).
    pub receiver: Option<String>,
    /// The method name.
    pub method: String,
    /// Position (line, column) of the method name.
    pub pos: (usize, usize),
    /// Followed (after its argument list) by `.await`.
    pub awaited: bool,
}

/// Facts about a token region.
#[derive(Debug, Clone, Default)]
pub struct TokenFacts {
    /// Method calls, in source order.
    pub methods: Vec<MethodToken>,
    /// Identifiers followed directly by `.await` (`handle.await`).
    pub awaited_idents: Vec<String>,
    /// Positions of every `.await`.
    pub awaits: Vec<(usize, usize)>,
    /// Calls through a path (`Semaphore::acquire_owned(..)`, `join_all(..)`): the last segment,
    /// its position and the identifier passed first, if the first argument is a plain name
    /// (`&mut` and `&` skipped).
    pub path_calls: Vec<PathCallToken>,
    /// Names bound by `let` (`let permit = ..`, `let mut h = ..`), with their positions.
    pub lets: Vec<(String, (usize, usize))>,
    /// Names iterated by a `for` loop (`for h in handles`).
    pub iterated: Vec<String>,
}

/// A call through a path seen in tokens: `name(` not preceded by a dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathCallToken {
    /// The last path segment.
    pub name: String,
    /// Its position.
    pub pos: (usize, usize),
    /// The first argument, when it is a plain identifier (after `&`/`&mut`).
    pub first_arg: Option<String>,
}

impl TokenFacts {
    /// Collects the facts of a token stream.
    pub fn of(tokens: TokenStream) -> Self {
        let mut flat = Vec::new();
        flatten(tokens, &mut flat, None, None);
        Self::of_flat(&flat)
    }

    /// The facts of a token stream and its `{ .. }` groups with their exits, in one pass over
    /// the tokens (a loop's scope needs both).
    pub(crate) fn with_brace_groups(tokens: TokenStream) -> (Self, Vec<BraceGroup>) {
        let mut flat = Vec::new();
        let mut groups = Vec::new();
        flatten(tokens, &mut flat, Some(&mut groups), None);
        (Self::of_flat(&flat), groups)
    }

    fn of_flat(flat: &[Flat]) -> Self {
        let mut facts = TokenFacts::default();
        for i in 0..flat.len() {
            if let Flat::Ident(word, _) = &flat[i] {
                match word.as_str() {
                    "let" => {
                        let at = match flat.get(i + 1) {
                            Some(Flat::Ident(m, _)) if m == "mut" => i + 2,
                            _ => i + 1,
                        };
                        if let Some(Flat::Ident(name, pos)) = flat.get(at) {
                            facts.lets.push((name.clone(), *pos));
                        }
                    }
                    "in" => {
                        let at = match flat.get(i + 1) {
                            Some(Flat::Punct('&')) => match flat.get(i + 2) {
                                Some(Flat::Ident(m, _)) if m == "mut" => i + 3,
                                _ => i + 2,
                            },
                            _ => i + 1,
                        };
                        if let Some(Flat::Ident(name, _)) = flat.get(at) {
                            facts.iterated.push(name.clone());
                        }
                    }
                    _ => {}
                }
                let after_dot = matches!(
                    i.checked_sub(1).and_then(|j| flat.get(j)),
                    Some(Flat::Punct('.'))
                );
                if !after_dot && matches!(flat.get(i + 1), Some(Flat::Open('('))) {
                    let mut at = i + 2;
                    if matches!(flat.get(at), Some(Flat::Punct('&'))) {
                        at += 1;
                        if matches!(flat.get(at), Some(Flat::Ident(m, _)) if m == "mut") {
                            at += 1;
                        }
                    }
                    let first_arg = match (flat.get(at), flat.get(at + 1)) {
                        (Some(Flat::Ident(a, _)), Some(Flat::Close | Flat::Punct(','))) => {
                            Some(a.clone())
                        }
                        _ => None,
                    };
                    if let Flat::Ident(name, pos) = &flat[i] {
                        facts.path_calls.push(PathCallToken {
                            name: name.clone(),
                            pos: *pos,
                            first_arg,
                        });
                    }
                }
                continue;
            }
            let Flat::Punct('.') = flat[i] else { continue };
            let Some(Flat::Ident(name, pos)) = flat.get(i + 1) else {
                continue;
            };
            if name == "await" {
                facts.awaits.push(*pos);
                if let Some(Flat::Ident(prev, _)) = i.checked_sub(1).and_then(|j| flat.get(j)) {
                    facts.awaited_idents.push(prev.clone());
                }
                continue;
            }
            if !matches!(flat.get(i + 2), Some(Flat::Open('('))) {
                continue;
            }
            let receiver = match i.checked_sub(1).and_then(|j| flat.get(j)) {
                Some(Flat::Ident(r, _)) => Some(r.clone()),
                _ => None,
            };
            // Find the matching close paren, then look for `.await`.
            let mut depth = 0usize;
            let mut j = i + 2;
            while j < flat.len() {
                match flat[j] {
                    Flat::Open(_) => depth += 1,
                    Flat::Close => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let awaited = matches!(
                (flat.get(j + 1), flat.get(j + 2)),
                (Some(Flat::Punct('.')), Some(Flat::Ident(a, _))) if a == "await"
            );
            facts.methods.push(MethodToken {
                receiver,
                method: name.clone(),
                pos: *pos,
                awaited,
            });
        }
        facts
    }

    /// Is any of `methods` called, as a method or through a path (`Semaphore::acquire_owned`)?
    pub fn calls_any(&self, methods: &[&str]) -> bool {
        self.methods
            .iter()
            .any(|m| methods.contains(&m.method.as_str()))
            || self
                .path_calls
                .iter()
                .any(|c| methods.contains(&c.name.as_str()))
    }
}

/// How a channel's sender is used in a region of code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderUse {
    /// Sent on (or cloned) inside a loop: fed once per iteration.
    pub in_loop: bool,
    /// Cloned inside a loop: a sender per iteration (handed to a task per event).
    pub cloned_in_loop: bool,
    /// Used some other way (passed to a function, stored in a struct, returned, captured by a
    /// closure): where it is fed is not visible here.
    pub escapes: bool,
    /// A clone not bound by `let x = tx.clone()` (`register(tx.clone())`): a sender that may be
    /// fed elsewhere, with messages of its own.
    pub clone_handed_away: bool,
    /// Sends seen (`send`, `unbounded_send`, `try_send`, `send_blocking`).
    pub sends: usize,
    /// Sends whose message carries a permit: a name bound earlier by a `let` whose value comes
    /// from one of the `permit_methods` (`let permit = sem.clone().acquire_owned().await?;`
    /// ... `tx.send((job, permit))`).
    pub permitted_sends: usize,
}

/// How the senders `names` (and clones bound with `let x = name.clone()`) are used in `tokens`.
///
/// ```ignore
/// let u = sender_use("for x in xs { tx.send(x).ok(); }".parse().unwrap(), &["tx"]);
/// assert!(u.in_loop && !u.escapes);
/// ```
pub fn sender_use(tokens: TokenStream, names: &[String], permit_methods: &[&str]) -> SenderUse {
    let mut flat = Vec::new();
    flatten(tokens, &mut flat, None, None);
    let mut names: Vec<String> = names.to_vec();
    let mut out = SenderUse::default();
    // Names bound to a permit so far.
    let mut permits: Vec<String> = Vec::new();
    // Loop bodies: a `for`/`while`/`loop` keyword makes the next `{` group a loop body.
    let mut pending_loop = false;
    let mut stack: Vec<bool> = Vec::new();
    // Closures run per call (an iterator's `for_each`, a watcher's callback): group depths at
    // which a closure body is open.
    let mut closures: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < flat.len() {
        match &flat[i] {
            Flat::Punct('|')
                if matches!(
                    i.checked_sub(1).and_then(|j| flat.get(j)),
                    None | Some(Flat::Open('(') | Flat::Punct(',') | Flat::Punct('='))
                ) || matches!(i.checked_sub(1).and_then(|j| flat.get(j)), Some(Flat::Ident(m, _)) if m == "move") =>
            {
                closures.push(stack.len());
                // Skip the parameters to the closing `|`.
                i += 1;
                while i < flat.len() && !matches!(flat[i], Flat::Punct('|')) {
                    i += 1;
                }
            }
            Flat::Ident(w, _) if matches!(w.as_str(), "for" | "while" | "loop") => {
                pending_loop = true;
            }
            Flat::Open(c) => {
                stack.push(*c == '{' && pending_loop);
                if *c == '{' {
                    pending_loop = false;
                }
            }
            Flat::Close => {
                stack.pop();
                while closures.last().is_some_and(|d| *d > stack.len()) {
                    closures.pop();
                }
            }
            Flat::Punct(';') => {
                while closures.last().is_some_and(|d| *d == stack.len()) {
                    closures.pop();
                }
            }
            Flat::Ident(w, _)
                if permit_methods.contains(&w.as_str())
                    && matches!(
                        i.checked_sub(1).and_then(|j| flat.get(j)),
                        Some(Flat::Punct('.'))
                    ) =>
            {
                permits.extend(let_bound_before(&flat, i));
            }
            Flat::Ident(w, _) if names.iter().any(|n| n == w) => {
                let in_loop = stack.iter().any(|l| *l) || !closures.is_empty();
                let method = match (flat.get(i + 1), flat.get(i + 2)) {
                    (Some(Flat::Punct('.')), Some(Flat::Ident(m, _))) => Some(m.as_str()),
                    _ => None,
                };
                let dropped = matches!(
                    (i.checked_sub(2).and_then(|j| flat.get(j)), i.checked_sub(1).and_then(|j| flat.get(j))),
                    (Some(Flat::Ident(d, _)), Some(Flat::Open('('))) if d == "drop"
                );
                match method {
                    Some("send" | "unbounded_send" | "try_send" | "send_blocking") => {
                        out.in_loop |= in_loop;
                        out.sends += 1;
                        if argument_idents(&flat, i + 3)
                            .iter()
                            .any(|a| permits.contains(a))
                        {
                            out.permitted_sends += 1;
                        }
                    }
                    Some("clone") => {
                        out.in_loop |= in_loop;
                        out.cloned_in_loop |= in_loop;
                        // `let tx2 = tx.clone();` makes `tx2` another sender.
                        if let (Some(Flat::Punct('=')), Some(Flat::Ident(alias, _))) = (
                            i.checked_sub(1).and_then(|j| flat.get(j)),
                            i.checked_sub(2).and_then(|j| flat.get(j)),
                        ) {
                            let alias = alias.clone();
                            if !names.contains(&alias) {
                                names.push(alias);
                            }
                        } else {
                            out.clone_handed_away = true;
                        }
                    }
                    Some("is_closed" | "closed" | "same_channel") => {}
                    _ if dropped => {}
                    _ => out.escapes = true,
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The name a `let` binds when `flat[at]` is part of its value (`let permit = sem.acquire_owned()`,
/// `let mut p = ..`): found by walking back to the statement's `=`, within its statement.
fn let_bound_before(flat: &[Flat], at: usize) -> Option<String> {
    let mut j = at;
    // Groups closed on the way back (`clone()` in `sem.clone().acquire_owned()`).
    let mut depth = 0usize;
    while j > 0 {
        j -= 1;
        match &flat[j] {
            Flat::Close => depth += 1,
            Flat::Open(_) if depth > 0 => depth -= 1,
            // Inside an argument list or at a block's start: no `let` of its own.
            Flat::Open(_) => return None,
            Flat::Punct(';') if depth == 0 => return None,
            Flat::Punct('=') if depth == 0 => {
                let name = match j.checked_sub(1).and_then(|k| flat.get(k)) {
                    Some(Flat::Ident(n, _)) => n.clone(),
                    _ => return None,
                };
                let keyword = |k: usize| match j.checked_sub(k).and_then(|k| flat.get(k)) {
                    Some(Flat::Ident(w, _)) => Some(w.as_str()),
                    _ => None,
                };
                return match (keyword(2), keyword(3)) {
                    (Some("let"), _) | (Some("mut"), Some("let")) => Some(name),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    None
}

/// The identifiers of the argument list opening at `flat[open]` (`(` of `send((job, permit))`),
/// nested groups included.
fn argument_idents(flat: &[Flat], open: usize) -> Vec<String> {
    let mut idents = Vec::new();
    if !matches!(flat.get(open), Some(Flat::Open('('))) {
        return idents;
    }
    let mut depth = 0usize;
    for token in &flat[open..] {
        match token {
            Flat::Open(_) => depth += 1,
            Flat::Close => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            Flat::Ident(w, _) => idents.push(w.clone()),
            _ => {}
        }
    }
    idents
}

enum Flat {
    Ident(String, (usize, usize)),
    Punct(char),
    Open(char),
    Close,
    Other,
}

/// Do the tokens name the identifier `name` anywhere, inside groups too (`.await` in a macro
/// body, `EINPROGRESS` in a `match` arm)?
pub(crate) fn names_ident(tokens: TokenStream, name: &str) -> bool {
    any_ident(tokens, &|i| i == name)
}

/// Does any identifier of the tokens, inside groups too, satisfy `wanted`?
pub(crate) fn any_ident(
    tokens: TokenStream,
    wanted: &impl Fn(&proc_macro2::Ident) -> bool,
) -> bool {
    tokens.into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => wanted(&i),
        TokenTree::Group(g) => any_ident(g.stream(), wanted),
        _ => false,
    })
}

/// A `{ .. }` group of a token stream: from its opening to its closing brace, with the
/// `return` and `break` words that open one of its own statements (not those of an inner
/// group), with their positions and whether each is a `return`.
#[derive(Debug)]
pub(crate) struct BraceGroup {
    /// Start of the opening brace, end of the closing one.
    pub span: ((usize, usize), (usize, usize)),
    /// `(position, is_return)` of each exit word at a statement start.
    pub exits: Vec<((usize, usize), bool)>,
}

/// Flattens `tokens` into `out`; with `groups`, also records each `{ .. }` group there
/// (`current`: the index of the group whose direct tokens these are, if any).
fn flatten(
    tokens: TokenStream,
    out: &mut Vec<Flat>,
    mut groups: Option<&mut Vec<BraceGroup>>,
    current: Option<usize>,
) {
    // Inside a brace group: whether the next token opens one of its statements.
    let mut statement_start = true;
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                let s = i.span().start();
                if let (Some(groups), Some(at)) = (groups.as_deref_mut(), current)
                    && statement_start
                    && (i == "return" || i == "break")
                {
                    groups[at].exits.push(((s.line, s.column), i == "return"));
                }
                statement_start = false;
                out.push(Flat::Ident(i.to_string(), (s.line, s.column)));
            }
            TokenTree::Punct(p) => {
                statement_start = p.as_char() == ';';
                out.push(Flat::Punct(p.as_char()));
            }
            TokenTree::Group(g) => {
                let brace = g.delimiter() == proc_macro2::Delimiter::Brace;
                let open = match g.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => '(',
                    proc_macro2::Delimiter::Brace => '{',
                    proc_macro2::Delimiter::Bracket => '[',
                    proc_macro2::Delimiter::None => ' ',
                };
                out.push(Flat::Open(open));
                // Recorded before the groups inside it, as a pre-order walk would.
                let inner = match groups.as_deref_mut() {
                    Some(groups) if brace => {
                        let (open, close) = (g.span_open().start(), g.span_close().end());
                        groups.push(BraceGroup {
                            span: ((open.line, open.column), (close.line, close.column)),
                            exits: Vec::new(),
                        });
                        Some(groups.len() - 1)
                    }
                    _ => None,
                };
                flatten(g.stream(), out, groups.as_deref_mut(), inner);
                out.push(Flat::Close);
                statement_start = brace;
            }
            TokenTree::Literal(_) => {
                statement_start = false;
                out.push(Flat::Other);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{TokenFacts, names_ident, sender_use};

    #[test]
    fn an_identifier_is_found_inside_groups() {
        let tokens: proc_macro2::TokenStream = "f(x.await, { y })".parse().expect("tokens");
        assert!(names_ident(tokens.clone(), "await"));
        assert!(names_ident(tokens.clone(), "y"));
        assert!(!names_ident(tokens, "z"));
    }

    fn uses(src: &str) -> super::SenderUse {
        sender_use(
            src.parse().expect("tokens"),
            &["tx".to_string()],
            &["acquire_owned"],
        )
    }

    #[test]
    fn sender_uses() {
        assert!(uses("for x in xs { tx.send(x).ok(); }").in_loop);
        assert!(uses("while let Some(m) = s.next().await { let t = tx.clone(); spawn(async move { t.send(m) }); }").in_loop);
        let once = uses("tx.send(1).ok(); drop(tx); let a = tx.is_closed();");
        assert!(!once.in_loop && !once.escapes);
        assert!(uses("Handle { tx }").escapes);
        assert!(uses("register(tx)").escapes);
        let alias = uses("let t2 = tx.clone(); loop { t2.send(1); }");
        assert!(alias.in_loop && !alias.escapes);
        assert!(uses("watcher(move |ev| { tx.send(ev).ok(); })").in_loop);
        assert!(uses("items.for_each(|x| tx.send(x).unwrap());").in_loop);
        assert!(!uses("let f = |x: u8| x + 1; tx.send(f(1)).ok();").in_loop);
    }

    #[test]
    fn sends_carrying_a_permit_are_counted() {
        let permitted = uses(
            "loop { let permit = sem.clone().acquire_owned().await?; let job = next().await; tx.send((job, permit)).ok(); }",
        );
        assert_eq!((permitted.sends, permitted.permitted_sends), (1, 1));
        // a permit acquired but not sent along
        let apart = uses(
            "loop { let permit = sem.clone().acquire_owned().await?; tx.send(job).ok(); drop(permit); }",
        );
        assert_eq!((apart.sends, apart.permitted_sends), (1, 0));
        // sent before it is acquired: not yet a permit
        let early = uses("tx.send((job, permit)).ok(); let permit = sem.acquire_owned().await;");
        assert_eq!(early.permitted_sends, 0);
    }

    #[test]
    fn methods_awaits_and_receivers() {
        let t: proc_macro2::TokenStream = "let p = sem.acquire().await; h.await; set.spawn(f(x))"
            .parse()
            .expect("tokens");
        let f = TokenFacts::of(t);
        assert_eq!(f.methods[0].method, "acquire");
        assert_eq!(f.methods[0].receiver.as_deref(), Some("sem"));
        assert!(f.methods[0].awaited);
        assert_eq!(
            f.awaited_idents,
            vec!["p".to_string(), "h".to_string()]
                .into_iter()
                .filter(|n| n == "h")
                .collect::<Vec<_>>()
        );
        assert!(f.calls_any(&["spawn"]));
        assert!(!f.methods.iter().any(|m| m.method == "f"));
        assert_eq!(f.path_calls[0].name, "f");
        assert_eq!(f.lets[0].0, "p");
    }

    #[test]
    fn path_calls_lets_and_iterations() {
        let t: proc_macro2::TokenStream =
            "let mut hs = Vec::new(); Semaphore::acquire_owned(sem.clone()); join_all(&mut hs).await; for h in handles { h.await; }"
                .parse()
                .expect("tokens");
        let f = TokenFacts::of(t);
        assert_eq!(f.lets, vec![("hs".to_string(), (1, 8))]);
        assert!(f.calls_any(&["acquire_owned"]));
        let join = f
            .path_calls
            .iter()
            .find(|c| c.name == "join_all")
            .expect("join_all");
        assert_eq!(join.first_arg.as_deref(), Some("hs"));
        assert_eq!(f.iterated, vec!["handles".to_string()]);
    }
}
