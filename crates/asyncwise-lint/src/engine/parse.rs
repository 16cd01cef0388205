//! Reading and parsing one file, with guards that turn hostile input into per-file errors.
//!
//! syn parses recursively and the resulting trees are visited (and dropped) recursively, so a
//! file with 100 000 nested parentheses would overflow any thread stack. Stack overflows abort
//! the process and cannot be caught, so before parsing, [`measure_nesting`] makes one cheap
//! lexical pass over the text (skipping comments, strings, raw strings and character
//! literals) and estimates two depths:
//!
//! * **nesting**: delimiters, prefix operators (`!`, `-`, `*`, `&`, closure bars) and angle
//!   brackets along the deepest path. These are expensive per level in syn (tens of KiB of
//!   stack for nested generics in a debug build), so the limit is [`MAX_NESTING`].
//! * **chain**: postfix and binary operators (`.`, `?`, `+`, `as`, `else`) in one expression,
//!   summed along the path (ranges do not chain and do not count). syn parses these in loops but builds left-deep trees that are
//!   visited recursively; they are cheap per level, so the limit [`MAX_CHAIN`] is larger.
//!
//! Both limits are far above real code and far below what a worker thread's stack
//! ([`WORKER_STACK_SIZE`](super::WORKER_STACK_SIZE)) can take. Over the 16,600 files of a cargo
//! registry holding tokio, hyper, axum, reqwest, syn, serde, clap and libc, the deepest nesting
//! is 73 and the longest chain 732 (a generated Unicode table; the next is 142); in a debug build
//! every chain shape still analyses at 32,000 on a worker stack, and the nesting shapes at 1,000.

use std::path::Path;

use crate::diagnostic::{FileError, LineCol};
use crate::facts::FileAnalysis;

/// The deepest accepted nesting of delimiters, prefix operators and angle brackets.
pub const MAX_NESTING: usize = 256;

/// The longest accepted chain of postfix and binary operators along one path.
pub const MAX_CHAIN: usize = 4096;

/// The two depth estimates of [`measure_nesting`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Nesting {
    /// Deepest nesting of delimiters, prefix operators and angle brackets.
    pub depth: usize,
    /// Longest chain of postfix and binary operators, summed along the deepest path.
    pub chain: usize,
}

/// Words after which an operator is in prefix position (`return !x`, `&mut *p`).
const PREFIX_CONTEXT_WORDS: &[&[u8]] = &[
    b"mut", b"const", b"dyn", b"impl", b"move", b"return", b"break", b"box", b"static", b"ref",
    b"in", b"let", b"if", b"match", b"while", b"for", b"yield", b"async", b"unsafe",
];

#[derive(Default)]
struct Segment {
    unary: usize,
    angle: usize,
    chain: usize,
}

/// Estimates how deeply a file's syntax tree will nest, without parsing it.
///
/// Linear in the file's length, allocation only for the delimiter stack. Unbalanced input is
/// fine (the parser reports it later).
///
/// ```
/// use asyncwise_lint::engine::parse::measure_nesting;
/// assert_eq!(measure_nesting("fn f() { g(1); }").depth, 2);
/// let deep = format!("fn f() {{ {}1{} }}", "(".repeat(1000), ")".repeat(1000));
/// assert!(measure_nesting(&deep).depth > 1000);
/// // Delimiters inside strings and comments do not count.
/// assert_eq!(measure_nesting(r#"const S: &str = "(((("; // (((("#).depth, 1);
/// ```
pub fn measure_nesting(source: &str) -> Nesting {
    scan::<false>(source, &mut Vec::new())
}

/// A line doc comment [`without_doc_comments`] replaces: its byte range, the attribute written
/// there (empty on a line that continues a block) and the block's attribute.
type DocReplacement = (std::ops::Range<usize>, &'static [u8], &'static [u8]);

/// The lexical pass of [`measure_nesting`]; with `DOCS`, it also notes the doc comments
/// [`without_doc_comments`] replaces, in the same pass (the analysis needs both, and the two
/// passes lexed every file alike: the second cost 4% of a cold run's instructions).
fn scan<const DOCS: bool>(source: &str, docs: &mut Vec<DocReplacement>) -> Nesting {
    let b = source.as_bytes();
    let n = b.len();
    let mut i = 0;
    // Saved state of the enclosing levels: (nest base, chain base, segment).
    let mut stack: Vec<(usize, usize, Segment)> = Vec::new();
    let (mut nest_base, mut chain_base) = (0usize, 0usize);
    let mut seg = Segment::default();
    let mut prev_operand = false;
    let mut pending_reset = false;
    let mut max = Nesting::default();

    while i < n {
        let c = b[i];
        // Trivia: whitespace and comments.
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && i + 1 < n && b[i + 1] == b'/' {
            let start = i;
            while i < n && b[i] != b'\n' {
                i += 1;
            }
            if DOCS {
                note_doc_comment(b, start, i, docs);
            }
            continue;
        }
        if c == b'/' && i + 1 < n && b[i + 1] == b'*' {
            i = skip_block_comment(b, i);
            continue;
        }
        // After a `}`, the expression goes on only with `else`, `.` or `?`.
        if pending_reset {
            pending_reset = false;
            let continues = c == b'.' || c == b'?' || starts_word(b, i, b"else");
            if !continues {
                seg = Segment::default();
            }
        }
        match c {
            b'"' => {
                i = skip_quoted(b, i + 1, b'"');
                prev_operand = true;
            }
            b'\'' => {
                let (next, is_char) = skip_char_or_lifetime(source, i);
                i = next;
                prev_operand = is_char;
            }
            b'0'..=b'9' => {
                i += 1;
                while i < n {
                    let d = b[i];
                    let fraction = d == b'.' && i + 1 < n && b[i + 1].is_ascii_digit();
                    if d.is_ascii_alphanumeric() || d == b'_' || fraction {
                        i += 1;
                    } else {
                        break;
                    }
                }
                prev_operand = true;
            }
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let start = i;
                while i < n && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
                    i += 1;
                }
                let word = &b[start..i];
                let next = b.get(i).copied();
                match (word, next) {
                    (b"r" | b"br" | b"cr", Some(b'"' | b'#')) => {
                        i = skip_raw(b, i);
                        prev_operand = true;
                    }
                    (b"b" | b"c", Some(b'"')) => {
                        i = skip_quoted(b, i + 1, b'"');
                        prev_operand = true;
                    }
                    (b"b", Some(b'\'')) => {
                        let (next, _) = skip_char_or_lifetime(source, i);
                        i = next;
                        prev_operand = true;
                    }
                    (b"as" | b"else", _) => {
                        seg.chain += 1;
                        prev_operand = false;
                    }
                    _ => prev_operand = !PREFIX_CONTEXT_WORDS.contains(&word),
                }
            }
            b'(' | b'[' | b'{' => {
                let saved = std::mem::take(&mut seg);
                let inner_nest = nest_base + saved.unary + saved.angle + 1;
                let inner_chain = chain_base + saved.chain;
                stack.push((nest_base, chain_base, saved));
                nest_base = inner_nest;
                chain_base = inner_chain;
                prev_operand = false;
                i += 1;
            }
            b')' | b']' | b'}' => {
                if let Some((base, cbase, saved)) = stack.pop() {
                    nest_base = base;
                    chain_base = cbase;
                    seg = saved;
                }
                prev_operand = true;
                pending_reset = c == b'}';
                i += 1;
            }
            b';' | b',' => {
                seg = Segment::default();
                prev_operand = false;
                i += 1;
            }
            b'=' if b.get(i + 1) == Some(&b'>') => {
                seg = Segment::default();
                prev_operand = false;
                i += 2;
            }
            b'-' if b.get(i + 1) == Some(&b'>') => {
                prev_operand = false;
                i += 2;
            }
            b'<' => {
                seg.angle += 1;
                prev_operand = false;
                i += 1;
            }
            b'>' => {
                seg.angle = seg.angle.saturating_sub(1);
                prev_operand = true;
                i += 1;
            }
            b'!' | b'-' | b'*' | b'&' | b'|' => {
                if prev_operand {
                    seg.chain += 1;
                } else {
                    seg.unary += 1;
                }
                prev_operand = false;
                i += 1;
            }
            b'?' => {
                seg.chain += 1;
                prev_operand = true;
                i += 1;
            }
            b'.' if b.get(i + 1) == Some(&b'.') => {
                // A range (`..`, `..=`, `...`): ranges do not chain, so they do not count.
                while b.get(i) == Some(&b'.') {
                    i += 1;
                }
                if b.get(i) == Some(&b'=') {
                    i += 1;
                }
                prev_operand = false;
            }
            b'.' | b'+' | b'/' | b'%' | b'^' | b'=' => {
                seg.chain += 1;
                prev_operand = false;
                i += 1;
            }
            _ => {
                prev_operand = false;
                i += 1;
            }
        }
        max.depth = max.depth.max(nest_base + seg.unary + seg.angle);
        max.chain = max.chain.max(chain_base + seg.chain);
    }
    max
}

/// Whether `word` starts at `i` and is not the prefix of a longer identifier.
fn starts_word(b: &[u8], i: usize, word: &[u8]) -> bool {
    b[i..].starts_with(word)
        && b.get(i + word.len())
            .is_none_or(|&c| !(c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80))
}

/// Skips a (nested) block comment starting at `i` (`/*`); returns the index after it.
pub(crate) fn skip_block_comment(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}
/// Whether `c` can be part of an identifier or a number (non-ASCII identifiers included).
pub(crate) fn is_word_byte(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80
}

/// Skips the word starting at `i`, and the literal it prefixes when it is a string or
/// character prefix (`r"..."`, `br#"..."#`, `b"..."`, `c"..."`, `b'x'`), so a quote inside
/// that literal is not taken for the start of another one.
pub(crate) fn skip_word(source: &str, mut i: usize) -> usize {
    let b = source.as_bytes();
    let start = i;
    while i < b.len() && is_word_byte(b[i]) {
        i += 1;
    }
    match (&b[start..i], b.get(i).copied()) {
        (b"r" | b"br" | b"cr", Some(b'"' | b'#')) => skip_raw(b, i),
        (b"b" | b"c", Some(b'"')) => skip_quoted(b, i + 1, b'"'),
        (b"b", Some(b'\'')) => skip_char_or_lifetime(source, i).0,
        _ => i,
    }
}

/// Skips to just past the closing `quote`, honouring backslash escapes; `i` is after the
/// opening quote.
pub(crate) fn skip_quoted(b: &[u8], mut i: usize, quote: u8) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// At `i` (just after `r`, `br` or `cr`): skips a raw string `#*"..."#*` or a raw identifier
/// (`r#match`) and returns the index after it.
pub(crate) fn skip_raw(b: &[u8], mut i: usize) -> usize {
    let mut hashes = 0;
    while b.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    if b.get(i) != Some(&b'"') {
        // A raw identifier, or garbage the parser will report.
        while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
            i += 1;
        }
        return i;
    }
    i += 1;
    while i < b.len() {
        if b[i] == b'"'
            && b[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&h| h == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    b.len()
}

/// At a `'` (or the `'` after `b`): skips a character literal and returns `(end, true)`, or a
/// lifetime or label and returns `(end, false)`.
pub(crate) fn skip_char_or_lifetime(source: &str, i: usize) -> (usize, bool) {
    let b = source.as_bytes();
    let quote = if b[i] == b'\'' { i } else { i + 1 };
    let after = quote + 1;
    match b.get(after) {
        None => (b.len(), false),
        Some(b'\\') => (skip_quoted(b, after, b'\''), true),
        Some(_) => {
            let ch_len = source
                .get(after..)
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8);
            if b.get(after + ch_len) == Some(&b'\'') {
                (after + ch_len + 1, true)
            } else {
                // A lifetime or label: skip the quote; the name is lexed as a word.
                (after, false)
            }
        }
    }
}

/// The text with every block of line doc comments replaced by a bare attribute and spaces
/// (`/// text` becomes `#[d]` and spaces, `//! text` becomes `#![d]` and spaces, and the
/// block's further lines become spaces), so that every span, line and column stays where it
/// was and items and fields still start where their documentation does; borrowed when there
/// is nothing to replace.
///
/// syn turns each doc comment into a `#[doc = "..."]` attribute whose string it escapes and
/// lexes: a third of the parse of a well-documented file (tokio's `sync/mutex.rs`), and as
/// much again inside the `cfg_*!` macro bodies the model parses a second time. No rule reads
/// documentation. The lexing is that of [`measure_nesting`]: comments are recognised outside
/// strings, raw strings and character literals only. Doc comments too short to hold the
/// attribute, and block doc comments (rare), are left as they are.
///
/// ```
/// use asyncwise_lint::engine::parse::without_doc_comments;
/// let src = "//! Crate.\n/// Item.\nfn f() { let s = \"/// kept\"; } //// plain\n///\nstruct S;";
/// let out = without_doc_comments(src);
/// assert_eq!(out, "#![d]     \n#[d]     \nfn f() { let s = \"/// kept\"; } //// plain\n///\nstruct S;");
/// assert_eq!(out.len(), src.len());
/// assert!(matches!(without_doc_comments("fn f() {} // x"), std::borrow::Cow::Borrowed(_)));
/// // A block of doc lines is one attribute.
/// assert_eq!(without_doc_comments("/// One.\n    /// Two.\nfn g() {}"), "#[d]    \n            \nfn g() {}");
/// ```
pub fn without_doc_comments(source: &str) -> std::borrow::Cow<'_, str> {
    let mut docs = Vec::new();
    scan::<true>(source, &mut docs);
    replace_doc_comments(source, docs)
}

/// Notes the line comment `b[start..line_end]` (up to its line's end) if it is a doc comment
/// [`without_doc_comments`] replaces.
fn note_doc_comment(b: &[u8], start: usize, line_end: usize, docs: &mut Vec<DocReplacement>) {
    // (A `\r` before the newline stays.)
    let end = if line_end > start && b[line_end - 1] == b'\r' {
        line_end - 1
    } else {
        line_end
    };
    let attribute: &'static [u8] = match b.get(start + 2) {
        Some(b'!') => b"#![d]",
        Some(b'/') if b.get(start + 3) != Some(&b'/') => b"#[d]",
        _ => return,
    };
    // A lone `\r` in a doc comment is an error the parser reports: left as it is.
    if b[start..end].contains(&b'\r') {
        return;
    }
    // A line that continues a block of doc comments (only whitespace since the last one, of
    // the same kind) is blanked: one attribute per block, not per line (tokio's src/ has
    // 38,000 doc lines; each was an `Attribute` to parse).
    let continues = docs.last().is_some_and(|(last, _, kind)| {
        *kind == attribute && b[last.end..start].iter().all(u8::is_ascii_whitespace)
    });
    if continues {
        docs.push((start..end, b"", attribute));
    } else if end - start >= attribute.len() {
        docs.push((start..end, attribute, attribute));
    }
}

/// The text with the noted doc comments replaced (see [`without_doc_comments`]).
fn replace_doc_comments(source: &str, docs: Vec<DocReplacement>) -> std::borrow::Cow<'_, str> {
    if docs.is_empty() {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut bytes = source.as_bytes().to_vec();
    for (range, attribute, _) in docs {
        let (head, rest) = bytes[range].split_at_mut(attribute.len());
        head.copy_from_slice(attribute);
        rest.fill(b' ');
    }
    // Whole comments (up to their line's end) replaced by ASCII: still UTF-8.
    match String::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Owned(text),
        Err(_) => std::borrow::Cow::Borrowed(source),
    }
}

/// Rejects text whose syntax tree would nest too deeply to parse and analyse safely.
///
/// ```
/// use asyncwise_lint::engine::parse::check_nesting;
/// assert!(check_nesting("fn main() { let x = (((1))); }").is_ok());
/// let err = check_nesting(&"(".repeat(100_000)).unwrap_err();
/// assert!(err.contains("nested too deeply"));
/// assert!(check_nesting(&format!("fn f() {{ {}x; }}", "!".repeat(10_000))).is_err());
/// ```
pub fn check_nesting(source: &str) -> Result<(), String> {
    nesting_verdict(measure_nesting(source))
}

/// [`check_nesting`]'s verdict on a measure.
fn nesting_verdict(found: Nesting) -> Result<(), String> {
    if found.depth > MAX_NESTING {
        return Err(format!(
            "nested too deeply to analyse safely (depth {} exceeds the limit of {MAX_NESTING})",
            found.depth
        ));
    }
    if found.chain > MAX_CHAIN {
        return Err(format!(
            "expression chain too long to analyse safely ({} operators exceed the limit of {MAX_CHAIN})",
            found.chain
        ));
    }
    Ok(())
}

/// Reads a file as UTF-8 text, refusing files larger than `max_size` bytes.
///
/// ```
/// use asyncwise_lint::engine::parse::read_source;
/// let path = std::env::temp_dir().join(format!("asyncwise-doctest-{}.rs", std::process::id()));
/// std::fs::write(&path, b"fn main() {} \xff").unwrap();
/// let err = read_source(&path, 1 << 20).unwrap_err();
/// assert!(err.message.contains("not valid UTF-8"));
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_source(path: &Path, max_size: u64) -> Result<String, FileError> {
    let error = |message: String| FileError::new(path.to_path_buf(), message);
    let len = std::fs::metadata(path)
        .map_err(|e| error(format!("could not read: {e}")))?
        .len();
    if len > max_size {
        return Err(error(format!(
            "file too large to analyse ({len} bytes; the limit is {max_size})"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| error(format!("could not read: {e}")))?;
    text_of(path, bytes)
}

/// [`read_source`] for a file whose size the engine has just taken (it stats every file to
/// order the work, largest first): no second `stat` of the path (a path lookup in the kernel
/// for every file). A file that grew past the limit since is refused once read.
pub(crate) fn read_source_of_size(
    path: &Path,
    max_size: u64,
    len: u64,
) -> Result<String, FileError> {
    let too_large = |len: u64| {
        FileError::new(
            path.to_path_buf(),
            format!("file too large to analyse ({len} bytes; the limit is {max_size})"),
        )
    };
    if len > max_size {
        return Err(too_large(len));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| FileError::new(path.to_path_buf(), format!("could not read: {e}")))?;
    if bytes.len() as u64 > max_size {
        return Err(too_large(bytes.len() as u64));
    }
    text_of(path, bytes)
}

/// The bytes read from `path` as UTF-8 text, or where they stop being UTF-8.
fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String, FileError> {
    let error = |message: String| FileError::new(path.to_path_buf(), message);
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
        let at = LineCol {
            line: prefix.matches('\n').count() + 1,
            column: prefix[line_start..].chars().count() + 1,
        };
        error(format!("not valid UTF-8 (invalid byte at offset {valid})")).at(at)
    })
}

/// Guards against pathological nesting, then parses with syn.
///
/// Run on a thread with a large stack ([`WORKER_STACK_SIZE`](super::WORKER_STACK_SIZE)); the
/// tree's spans belong to the current thread.
///
/// ```
/// use asyncwise_lint::engine::parse::parse_source;
/// let path = std::path::Path::new("x.rs");
/// assert!(parse_source(path, "fn main() {}").is_ok());
/// let err = parse_source(path, "fn main( {}").unwrap_err();
/// assert!(err.message.starts_with("could not parse"));
/// ```
pub fn parse_source(path: &Path, source: &str) -> Result<syn::File, FileError> {
    check_nesting(source).map_err(|message| FileError::new(path.to_path_buf(), message))?;
    parse_guarded(path, source)
}

/// [`parse_source`] after the nesting guard.
fn parse_guarded(path: &Path, source: &str) -> Result<syn::File, FileError> {
    let mut file = syn::parse_file(source).map_err(|e| {
        let at = e.span().start();
        // proc-macro2 columns are 0-based characters; ours are 1-based.
        FileError::new(path.to_path_buf(), format!("could not parse: {e}")).at(LineCol {
            line: at.line,
            column: at.column + 1,
        })
    })?;
    if super::item_macros::may_contain(source) {
        super::item_macros::open_item_macros(&mut file);
    }
    Ok(file)
}

/// Parses `source` and runs the model and every rule over it.
///
/// Same requirements as [`parse_source`]. The caller is expected to invalidate the thread's
/// spans afterwards (the engine does).
///
/// ```
/// use asyncwise_lint::engine::parse::analyze_source;
/// let out = analyze_source(std::path::Path::new("x.rs"), "fn main() {}").unwrap();
/// assert!(out.diagnostics.is_empty());
/// ```
pub fn analyze_source(path: &Path, source: &str) -> Result<FileAnalysis, FileError> {
    let ast = parse_source(path, source)?;
    Ok(crate::analyze_parsed(path, source, &ast))
}

/// [`analyze_source`] for a file of a package: its module path in the crate, and the package's
/// edition (2015 code that does not parse is reported as such).
///
/// ```
/// use asyncwise_lint::engine::parse::analyze_source_in;
/// use asyncwise_lint::model::{Edition, FileContext};
/// let cx = FileContext { edition: Edition::E2015, ..Default::default() };
/// let err = analyze_source_in("x.rs".as_ref(), "fn f(u8) {}", &cx).unwrap_err();
/// assert!(err.message.starts_with("2015 edition syntax not supported"));
/// ```
pub fn analyze_source_in(
    path: &Path,
    source: &str,
    cx: &crate::model::FileContext,
) -> Result<FileAnalysis, FileError> {
    let ast = parse_source_in(path, source, cx)?;
    Ok(crate::analyze_parsed_in(path, source, &ast, cx))
}

/// [`parse_source`] for a file of a package of the given edition: code that syn cannot parse
/// in a 2015-edition package is reported as such.
pub(crate) fn parse_source_in(
    path: &Path,
    source: &str,
    cx: &crate::model::FileContext,
) -> Result<syn::File, FileError> {
    parse_source(path, source).map_err(|e| edition_error(e, cx))
}

/// A parse error in a 2015-edition package says that its syntax is not supported.
fn edition_error(mut e: FileError, cx: &crate::model::FileContext) -> FileError {
    if cx.edition == crate::model::Edition::E2015
        && let Some(detail) = e.message.strip_prefix("could not parse: ")
    {
        e.message = format!("2015 edition syntax not supported ({detail})");
    }
    e
}

/// [`parse_source_in`] for the analysis: the text is parsed with its doc comments [replaced by
/// bare attributes](without_doc_comments) (no rule reads documentation). Text that does not
/// parse so is parsed as it is, so that errors are reported as they always were.
pub(crate) fn parse_for_analysis(
    path: &Path,
    source: &str,
    cx: &crate::model::FileContext,
) -> Result<syn::File, FileError> {
    // The nesting guard comes first (comments do not count, so it is the same for both
    // texts); the doc comments are noted in the same pass.
    let mut docs = Vec::new();
    nesting_verdict(scan::<true>(source, &mut docs))
        .map_err(|message| FileError::new(path.to_path_buf(), message))?;
    match replace_doc_comments(source, docs) {
        std::borrow::Cow::Owned(text) => match syn::parse_file(&text) {
            Ok(ast) => Ok(ast),
            Err(_) => parse_guarded(path, source).map_err(|e| edition_error(e, cx)),
        },
        std::borrow::Cow::Borrowed(_) => {
            parse_guarded(path, source).map_err(|e| edition_error(e, cx))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_read_at_a_known_size_is_refused_as_read_source_refuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grown.rs");
        std::fs::write(&path, "fn main() {}\n").unwrap();
        assert_eq!(
            read_source_of_size(&path, 64, 13).unwrap(),
            "fn main() {}\n"
        );
        // Too large by the size taken: not read at all.
        let err = read_source_of_size(&path, 8, 13).unwrap_err();
        assert_eq!(err.message, read_source(&path, 8).unwrap_err().message);
        // Grown past the limit since its size was taken: refused once read.
        let err = read_source_of_size(&path, 8, 4).unwrap_err();
        assert_eq!(err.message, read_source(&path, 8).unwrap_err().message);
        std::fs::write(&path, b"fn f() {} \xff").unwrap();
        let err = read_source_of_size(&path, 64, 11).unwrap_err();
        assert_eq!(err.message, read_source(&path, 64).unwrap_err().message);
        assert_eq!(err.location, read_source(&path, 64).unwrap_err().location);
    }

    /// The tokens of `text` with every `#[doc ...]` / `#![doc ...]` attribute left out, printed.
    fn tokens_without_docs(text: &str) -> Option<String> {
        use proc_macro2::{TokenStream, TokenTree};
        fn strip(stream: TokenStream) -> TokenStream {
            let trees: Vec<TokenTree> = stream.into_iter().collect();
            let mut out = Vec::new();
            let mut i = 0;
            while i < trees.len() {
                let bang =
                    matches!(&trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                let group_at = i + 1 + usize::from(bang);
                let is_doc = matches!(&trees[i], TokenTree::Punct(p) if p.as_char() == '#')
                    && matches!(trees.get(group_at), Some(TokenTree::Group(g))
                        if g.delimiter() == proc_macro2::Delimiter::Bracket
                            && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(id)) if id == "doc" || id == "d"));
                if is_doc {
                    i = group_at + 1;
                    continue;
                }
                out.push(match &trees[i] {
                    TokenTree::Group(g) => {
                        TokenTree::Group(proc_macro2::Group::new(g.delimiter(), strip(g.stream())))
                    }
                    other => other.clone(),
                });
                i += 1;
            }
            out.into_iter().collect()
        }
        let stream: TokenStream = text.parse().ok()?;
        Some(strip(stream).to_string())
    }

    fn assert_only_docs_differ(name: &str, text: &str) {
        let replaced = without_doc_comments(text);
        assert_eq!(replaced.len(), text.len(), "{name}");
        assert_eq!(
            replaced.lines().count(),
            text.lines().count(),
            "{name}: lines stay"
        );
        // Text that does not lex is parsed as it is (`parse_for_analysis`).
        if let Some(original) = tokens_without_docs(text) {
            assert_eq!(
                tokens_without_docs(&replaced).as_deref(),
                Some(original.as_str()),
                "{name}: only doc comments may change"
            );
        }
        // Items start and end where they did: the outline (suppression scopes, fingerprints)
        // made from the analysis's tree is the original's.
        if let (Ok(original), Ok(ast)) = (syn::parse_file(text), syn::parse_file(&replaced)) {
            assert_eq!(
                crate::items::ItemOutline::of(&ast),
                crate::items::ItemOutline::of(&original),
                "{name}: the outline stays"
            );
        }
    }

    #[test]
    fn doc_comments_and_nothing_else_become_bare_attributes() {
        let cases = [
            "/// a\nfn f() {}",
            "//! inner\n//!\nfn f() {}",
            "//// four slashes stay\nfn f() {}",
            "/** block */ fn f() {} /*! inner block */",
            "/**/ fn f() {} /***/ /*** x */ /* /** nested */ */",
            r##"const S: &str = "/// not a comment"; const R: &str = r#"//! nor "this" /**"#;"##,
            r#"const C: char = '"'; /// doc after a quote char
            fn f() {}"#,
            r#"const Q: char = '''; const B: u8 = b'/'; /// doc
            fn g<'a>(x: &'a str) -> &'a str { x } /// doc
            struct S;"#,
            r#"fn r#match() {} /// doc
            const BS: &[u8] = b"///"; const CS: &std::ffi::CStr = c"//!"; const RB: &[u8] = br"/**";"#,
            "mod m { //! inner doc of a module\n  /// item\n  pub fn f() {} }",
            "macro_rules! m { () => { /// doc in a macro\n fn g() {} } }\nm! { /// doc\n fn h() {} }",
            "fn f() { let _ = \"a\\\"/// b\"; }",
            "/// one\n/// two\n\n    /// three\nfn f() {}\n//! inner\n/// outer\nfn g() {}",
            "/// a\n#[cfg(x)]\n/// b\nfn f() {}\nstruct S {\n    /// x\n    /// y\n    x: u8,\n}",
        ];
        for (i, case) in cases.iter().enumerate() {
            assert_only_docs_differ(&format!("case {i}"), case);
        }
        assert_eq!(without_doc_comments(cases[0]), "#[d] \nfn f() {}");
        // An item keeps its first line: its attributes start where its documentation did.
        let text = "struct S {\n    /// The handle.\n    handle: u8,\n}";
        let ast = syn::parse_file(&without_doc_comments(text)).unwrap();
        let syn::Item::Struct(item) = &ast.items[0] else {
            panic!()
        };
        let field = item.fields.iter().next().unwrap();
        assert_eq!(syn::spanned::Spanned::span(field).start().line, 2);
    }

    #[test]
    fn a_block_of_doc_lines_is_one_attribute() {
        let attributes = |text: &str| {
            let ast = syn::parse_file(&without_doc_comments(text)).unwrap();
            let syn::Item::Fn(f) = &ast.items[0] else {
                panic!()
            };
            f.attrs.len()
        };
        // Lines of one block, blank lines between included: one attribute.
        assert_eq!(
            attributes("/// one\n/// two\n\n    /// three\nfn f() {}"),
            1
        );
        // Another attribute between ends the block; so does a doc comment of the other kind.
        assert_eq!(attributes("/// a\n#[cfg(x)]\n/// b\nfn f() {}"), 3);
        assert_eq!(
            without_doc_comments("//! crate\n/// item\nfn f() {}"),
            "#![d]    \n#[d]    \nfn f() {}"
        );
        // A short line continuing a block is blanked too (alone, it is left as it is).
        assert_eq!(
            without_doc_comments("/// a\n///\nfn f() {}"),
            "#[d] \n   \nfn f() {}"
        );
        assert_eq!(without_doc_comments("///\nfn f() {}"), "///\nfn f() {}");
    }

    /// Every Rust file of this repository (fixtures and corpus included), and of the
    /// directories `ASYNCWISE_DOC_CORPUS` names (`:`-separated), keeps its tokens but for
    /// documentation.
    #[test]
    fn real_files_keep_every_token_but_docs() {
        let mut roots = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/.."
        ))];
        if let Some(extra) = std::env::var_os("ASYNCWISE_DOC_CORPUS") {
            roots.extend(std::env::split_paths(&extra));
        }
        let mut checked = 0;
        for root in roots {
            for entry in ignore::WalkBuilder::new(root).build().flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                assert_only_docs_differ(&path.display().to_string(), &text);
                checked += 1;
            }
        }
        assert!(checked > 100, "only {checked} files");
    }

    #[test]
    fn skips_strings_comments_and_chars() {
        let src = r####"
            // ((((((
            /* (( /* nested (( */ (( */
            const A: &str = "(((\"(((";
            const B: &str = r#"((("((("#;
            const C: &[u8] = br##"((("#(("##;
            const D: char = '(';
            const E: char = '\'';
            const F: u8 = b'(';
            fn f<'a>(x: &'a str) -> &'a str { x }
            fn r#match() {}
        "####;
        let n = measure_nesting(src);
        assert!(n.depth <= 3, "{n:?}");
    }

    #[test]
    fn counts_each_kind_of_deep_input() {
        let cases = [
            format!("fn f() {{ {}1{} }}", "(".repeat(500), ")".repeat(500)),
            format!("fn f() {{ {}1{} }}", "{".repeat(500), "}".repeat(500)),
            format!("fn f() {{ {}x; }}", "!".repeat(500)),
            format!("fn f() {{ {}x; }}", "-".repeat(500)),
            format!("fn f() {{ {}x; }}", "&".repeat(500)),
            format!("fn f() {{ {}x; }}", "*".repeat(500)),
            format!("fn f() {{ {}1; }}", "||".repeat(500)),
            format!("type T = {}u8{};", "Vec<".repeat(500), ">".repeat(500)),
        ];
        for case in &cases {
            assert!(check_nesting(case).is_err(), "{}", &case[..40]);
        }
        let chains = [
            format!("fn f() {{ x{}; }}", ".a()".repeat(5000)),
            format!("fn f() {{ x{}; }}", "?".repeat(5000)),
            format!("fn f() {{ x{}; }}", " + x".repeat(5000)),
            format!("fn f() {{ if a {{}}{} }}", " else if a {}".repeat(5000)),
        ];
        for case in &chains {
            assert!(check_nesting(case).is_err(), "{}", &case[..40]);
        }
    }

    #[test]
    fn ordinary_code_passes() {
        let src = r#"
            fn f() -> Vec<Vec<u8>> { (0..10).map(|i| vec![i as u8; 3]).filter(|v| !v.is_empty()).collect() }
            fn g(a: i32, b: i32) -> bool { a < b && b > a || -a == *&b }
        "#;
        let mut many = String::new();
        for i in 0..20_000 {
            many.push_str(&format!(
                "fn f{i}(x: &&u8) -> &'static str {{ if **x > 1 {{ \"a\" }} else {{ \"b\" }} }}\n"
            ));
        }
        // Generated tables: a match arm with thousands of alternative ranges is flat.
        let table: Vec<String> = (0..3000)
            .map(|i| format!("'\\u{{{:x}}}'..='\\u{{{:x}}}'", 2 * i, 2 * i + 1))
            .collect();
        let table = format!(
            "fn f(c: char) -> bool {{ match c {{ {} => true, _ => false }} }}",
            table.join(" | ")
        );
        assert!(check_nesting(src).is_ok());
        assert!(check_nesting(&many).is_ok(), "{:?}", measure_nesting(&many));
        assert!(
            check_nesting(&table).is_ok(),
            "{:?}",
            measure_nesting(&table)
        );
        assert!(syn::parse_file(&table).is_ok());
        assert!(measure_nesting(src).depth < 10);
    }
}
