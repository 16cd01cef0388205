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
}

impl TokenFacts {
    /// Collects the facts of a token stream.
    pub fn of(tokens: TokenStream) -> Self {
        let mut flat = Vec::new();
        flatten(tokens, &mut flat);
        let mut facts = TokenFacts::default();
        for i in 0..flat.len() {
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

    /// Is any of `methods` called?
    pub fn calls_any(&self, methods: &[&str]) -> bool {
        self.methods
            .iter()
            .any(|m| methods.contains(&m.method.as_str()))
    }
}

enum Flat {
    Ident(String, (usize, usize)),
    Punct(char),
    Open(char),
    Close,
    Other,
}

fn flatten(tokens: TokenStream, out: &mut Vec<Flat>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                let s = i.span().start();
                out.push(Flat::Ident(i.to_string(), (s.line, s.column)));
            }
            TokenTree::Punct(p) => out.push(Flat::Punct(p.as_char())),
            TokenTree::Group(g) => {
                let open = match g.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => '(',
                    proc_macro2::Delimiter::Brace => '{',
                    proc_macro2::Delimiter::Bracket => '[',
                    proc_macro2::Delimiter::None => ' ',
                };
                out.push(Flat::Open(open));
                flatten(g.stream(), out);
                out.push(Flat::Close);
            }
            TokenTree::Literal(_) => out.push(Flat::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TokenFacts;

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
    }
}
