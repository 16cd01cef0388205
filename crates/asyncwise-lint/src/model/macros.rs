//! Macro bodies as code: the expressions or statements inside a macro invocation, so that
//! `tokio::select!` branches, `tracing` arguments and `cfg_*! { .. }` items are analysed like the
//! code around them. One parser for every visitor, so they all see the same code.

use syn::parse::Parser as _;
use syn::punctuated::Punctuated;

use crate::knowledge::macros as macro_kinds;

/// What a macro's tokens contain.
pub(crate) enum MacroBody {
    /// Comma-separated expressions (formatting and logging macros, `vec!`, `join!`), or the
    /// futures, preconditions and handlers of `select!` branches.
    Exprs(Vec<syn::Expr>),
    /// Statements and items (`cfg_*! { .. }`-style wrappers).
    Stmts(Vec<syn::Stmt>),
    /// Not code we can read (DSLs, token manipulation): skipped.
    Opaque,
}

/// The macro's name: the last segment of its path (`select` for `tokio::select!`).
pub(crate) fn name(mac: &syn::Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// Parses a macro's body: `select!` branches, then comma-separated expressions, then
/// statements; anything else is opaque.
pub(crate) fn body(mac: &syn::Macro) -> MacroBody {
    let name = name(mac);
    if macro_kinds::OPAQUE_MACROS.contains(&name.as_str()) {
        return MacroBody::Opaque;
    }
    // Most invocations (`println!("{}", x)`, `vec![0; n]`, `assert!(a < b)`) hold no call,
    // await, closure, loop or `?`: nothing any visitor records, so not worth a parse. The
    // writing macros are the exception: their first argument is the writer, which may block.
    if !macro_kinds::WRITE_MACROS.contains(&name.as_str()) && !may_hold_code(&mac.tokens) {
        return MacroBody::Exprs(Vec::new());
    }
    if name == "select" || name == "select_biased" {
        return parse_select
            .parse2(mac.tokens.clone())
            .map_or(MacroBody::Opaque, MacroBody::Exprs);
    }
    // Tokens that open with an item keyword (`cfg_rt! { pub mod x; .. }`) cannot be
    // expressions: parse them as statements straight away, from the same token buffer, rather
    // than building a second buffer after the expressions parse fails on its first token.
    //
    // Likewise tokens with a `;` outside any group (`cfg_rt! { let x = f(); x.g() }`) cannot be
    // a comma-separated list of expressions: no expression holds a bare `;`.
    let mut parsed_as_stmts = false;
    let first = (|input: syn::parse::ParseStream<'_>| {
        if starts_with_item_keyword(input) || has_top_level_semicolon(input) {
            parsed_as_stmts = true;
            syn::Block::parse_within(input).map(MacroBody::Stmts)
        } else {
            Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated(input)
                .map(|exprs| MacroBody::Exprs(exprs.into_iter().collect()))
        }
    })
    .parse2(mac.tokens.clone());
    match first {
        Ok(body) => body,
        Err(_) if parsed_as_stmts => MacroBody::Opaque,
        Err(_) => syn::Block::parse_within
            .parse2(mac.tokens.clone())
            .map_or(MacroBody::Opaque, MacroBody::Stmts),
    }
}

/// Keywords that start an item and never an expression: an expression parse fails on them.
const ITEM_ONLY_KEYWORDS: [&str; 10] = [
    "pub", "mod", "use", "impl", "struct", "enum", "trait", "type", "fn", "extern",
];

/// Whether the input, after any outer attributes (`#[..]`), starts with one of
/// [`ITEM_ONLY_KEYWORDS`]. Reads the buffer through a cursor, consuming nothing.
fn starts_with_item_keyword(input: syn::parse::ParseStream<'_>) -> bool {
    let mut cursor = input.cursor();
    while let Some((hash, rest)) = cursor.punct()
        && hash.as_char() == '#'
        && let Some((_, _, after)) = rest.group(proc_macro2::Delimiter::Bracket)
    {
        cursor = after;
    }
    cursor
        .ident()
        .is_some_and(|(ident, _)| ITEM_ONLY_KEYWORDS.iter().any(|k| ident == k))
}

/// Whether the input holds a `;` outside any group. Reads the buffer through a cursor,
/// consuming nothing.
fn has_top_level_semicolon(input: syn::parse::ParseStream<'_>) -> bool {
    let mut cursor = input.cursor();
    loop {
        cursor = if let Some((punct, next)) = cursor.punct() {
            if punct.as_char() == ';' {
                return true;
            }
            next
        } else if let Some((_, next)) = cursor.ident() {
            next
        } else if let Some((_, _, _, next)) = cursor.any_group() {
            next
        } else if let Some((_, next)) = cursor.literal() {
            next
        } else if let Some((_, next)) = cursor.lifetime() {
            next
        } else if let Some((_, next)) = cursor.token_tree() {
            next
        } else {
            return false;
        };
    }
}

/// Whether tokens may hold something a visitor records: a call (a parenthesised group after a
/// name, a `>` or another group), a method call or field access (`.`), `?`, a closure (`|`), a
/// nested macro (`!`), or a loop, `async`, `.await` or `let`.
///
/// A cheap scan over the tokens, recursing into groups; it errs towards `true`.
fn may_hold_code(tokens: &proc_macro2::TokenStream) -> bool {
    use proc_macro2::{Delimiter, TokenTree};
    let mut after_callable = false;
    for tt in tokens.clone() {
        match &tt {
            TokenTree::Group(g) => {
                if g.delimiter() == Delimiter::Parenthesis && after_callable
                    || may_hold_code(&g.stream())
                {
                    return true;
                }
                after_callable = true;
            }
            TokenTree::Punct(p) => {
                if matches!(p.as_char(), '.' | '?' | '|' | '!') {
                    return true;
                }
                after_callable = p.as_char() == '>';
            }
            TokenTree::Ident(i) => {
                if ["for", "while", "loop", "async", "await", "let", "move"]
                    .iter()
                    .any(|k| i == k)
                {
                    return true;
                }
                after_callable = true;
            }
            TokenTree::Literal(_) => after_callable = false,
        }
    }
    false
}

/// One arm of a `select!`, in source order: `pattern = future, if precondition => handler`,
/// or a fallback (`else`, `default`, `complete`) with no future.
pub(crate) struct SelectArm {
    /// The pattern the future's output is matched against; `None` for a fallback arm.
    pub pattern: Option<syn::Pat>,
    /// The future the branch polls; `None` for a fallback arm.
    pub future: Option<syn::Expr>,
    /// The `if` precondition, if any.
    pub precondition: Option<syn::Expr>,
    /// The handler run when the arm wins.
    pub handler: syn::Expr,
}

/// The arms of a `tokio::select!` / `futures::select!` body, or `None` when the body does not
/// parse as one.
pub(crate) fn select_arms(mac: &syn::Macro) -> Option<Vec<SelectArm>> {
    parse_select_arms.parse2(mac.tokens.clone()).ok()
}

/// Parses the body of `tokio::select!` / `futures::select!` into its expressions: each
/// branch's future, precondition and handler, and the `else` handler.
fn parse_select(input: syn::parse::ParseStream<'_>) -> syn::Result<Vec<syn::Expr>> {
    let mut out = Vec::new();
    for arm in parse_select_arms(input)? {
        out.extend(arm.future);
        out.extend(arm.precondition);
        out.push(arm.handler);
    }
    Ok(out)
}

fn parse_select_arms(input: syn::parse::ParseStream<'_>) -> syn::Result<Vec<SelectArm>> {
    let mut out = Vec::new();
    if input.peek(syn::Ident)
        && input
            .fork()
            .parse::<syn::Ident>()
            .is_ok_and(|i| i == "biased")
    {
        input.parse::<syn::Ident>()?;
        input.parse::<syn::Token![;]>()?;
    }
    while !input.is_empty() {
        let mut branch = None;
        if input.peek(syn::Token![else])
            || input.peek(syn::Ident)
                && input
                    .fork()
                    .parse::<syn::Ident>()
                    .is_ok_and(|i| i == "default" || i == "complete")
                && input.peek2(syn::Token![=>])
        {
            if input.peek(syn::Token![else]) {
                input.parse::<syn::Token![else]>()?;
            } else {
                input.parse::<syn::Ident>()?;
            }
        } else {
            let pattern = syn::Pat::parse_multi_with_leading_vert(input)?;
            input.parse::<syn::Token![=]>()?;
            let future = input.call(syn::Expr::parse_without_eager_brace)?;
            let mut precondition = None;
            if input.peek(syn::Token![,]) && input.peek2(syn::Token![if]) {
                input.parse::<syn::Token![,]>()?;
                input.parse::<syn::Token![if]>()?;
                precondition = Some(input.parse()?);
            }
            branch = Some((pattern, future, precondition));
        }
        input.parse::<syn::Token![=>]>()?;
        let handler: syn::Expr = input.parse()?;
        let is_block = matches!(handler, syn::Expr::Block(_));
        let (pattern, future, precondition) =
            branch.map_or((None, None, None), |(pat, f, p)| (Some(pat), Some(f), p));
        out.push(SelectArm {
            pattern,
            future,
            precondition,
            handler,
        });
        if input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
        } else if !is_block && !input.is_empty() {
            return Err(input.error("expected `,` after a select! branch"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::may_hold_code;

    fn holds(src: &str) -> bool {
        may_hold_code(&src.parse().expect("tokens"))
    }

    #[test]
    fn only_bodies_without_code_are_skipped() {
        for plain in [
            r#""{}", x"#,
            "0; n",
            "a < b, \"msg\"",
            r#""{a} {b}""#,
            "x = %y",
        ] {
            assert!(!holds(plain), "{plain}");
        }
        for code in [
            "f(x)",
            "x.len()",
            "a?",
            "|x| x",
            "inner!(x)",
            "Vec::<u8>::new()",
            "fut.await",
            "for x in rx {}",
            "let g = m;",
            "async move {}",
            "\"{}\", (a)(b)",
            "[x][0](1)",
        ] {
            assert!(holds(code), "{code}");
        }
    }

    fn body_of(src: &str) -> super::MacroBody {
        super::body(&syn::parse_str::<syn::Macro>(src).expect("macro"))
    }

    #[test]
    fn item_bodies_parse_as_statements_and_others_as_before() {
        for items in [
            "cfg_rt! { pub mod x; fn f() { g() } }",
            "cfg_io! { #[cfg(unix)] #[doc = \"d\"] impl A { fn f(&self) { self.g() } } }",
            "wrap! { use a::b; fn f() { g() } }",
        ] {
            assert!(
                matches!(body_of(items), super::MacroBody::Stmts(ref s) if !s.is_empty()),
                "{items}"
            );
        }
        assert!(matches!(
            body_of("wrap! { pub fn f() { g() } + }"),
            super::MacroBody::Opaque
        ));
        assert!(matches!(
            body_of("join!(#[allow(x)] a(), b())"),
            super::MacroBody::Exprs(ref e) if e.len() == 2
        ));
        assert!(matches!(
            body_of("run! { let x = f(); x.g() }"),
            super::MacroBody::Stmts(ref s) if s.len() == 2
        ));
    }
}
