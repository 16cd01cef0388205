//! Which of the words that decide what [`FileModel::build_in`](super::FileModel::build_in)
//! collects occur in a file's text: one pass over the text for all of them, where a substring
//! search per word scanned the whole text once for every word it lacks (17 words, about 23 M
//! instructions on tokio's `src/`; this pass about 7 M).
//!
//! The pass is an Aho-Corasick automaton in leftmost-first mode, whose SIMD prefilter skips most
//! of the text. Such a search reports matches that do not overlap, so an occurrence of a word
//! can go unreported when it overlaps a reported match of another word (`Futurenv::` reports
//! `Future` and not `env::`); for every word not reported that some reported word could have
//! hidden that way, a substring search answers instead. So [`Found::has`] says exactly what a
//! substring search of the word would say (the tests compare them on constructed overlaps and
//! random texts).

use std::sync::LazyLock;

/// A word whose occurrence in the text decides whether a fact is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Word {
    /// `Mutex`
    Mutex,
    /// `RwLock`
    RwLock,
    /// `lock().await`
    LockAwait,
    /// `read().await`
    ReadAwait,
    /// `write().await`
    WriteAwait,
    /// `macro_rules`
    MacroRules,
    /// `join_all`
    JoinAll,
    /// `join_next`
    JoinNext,
    /// `process::`
    Process,
    /// `.get_or_`
    GetOr,
    /// `.call_once`
    CallOnce,
    /// `env::`
    Env,
    /// `::from_std(`
    FromStd,
    /// `::from_file(`
    FromFile,
    /// `type ` (with its space)
    Type,
    /// `spawn`
    Spawn,
    /// `Future`
    Future,
    /// `panic` (`panic!`, `std::panic::resume_unwind`)
    Panic,
    /// `unreachable!`
    Unreachable,
    /// `todo!`
    Todo,
    /// `unimplemented!`
    Unimplemented,
    /// `EINPROGRESS` (a non-blocking `connect` under way)
    InProgress,
}

impl Word {
    /// Every word, in the automaton's pattern order.
    const ALL: [Word; 22] = [
        Word::Mutex,
        Word::RwLock,
        Word::LockAwait,
        Word::ReadAwait,
        Word::WriteAwait,
        Word::MacroRules,
        Word::JoinAll,
        Word::JoinNext,
        Word::Process,
        Word::GetOr,
        Word::CallOnce,
        Word::Env,
        Word::FromStd,
        Word::FromFile,
        Word::Type,
        Word::Spawn,
        Word::Future,
        Word::Panic,
        Word::Unreachable,
        Word::Todo,
        Word::Unimplemented,
        Word::InProgress,
    ];

    fn text(self) -> &'static str {
        match self {
            Word::Mutex => "Mutex",
            Word::RwLock => "RwLock",
            Word::LockAwait => "lock().await",
            Word::ReadAwait => "read().await",
            Word::WriteAwait => "write().await",
            Word::MacroRules => "macro_rules",
            Word::JoinAll => "join_all",
            Word::JoinNext => "join_next",
            Word::Process => "process::",
            Word::GetOr => ".get_or_",
            Word::CallOnce => ".call_once",
            Word::Env => "env::",
            Word::FromStd => "::from_std(",
            Word::FromFile => "::from_file(",
            Word::Type => "type ",
            Word::Spawn => "spawn",
            Word::Future => "Future",
            Word::Panic => "panic",
            Word::Unreachable => "unreachable!",
            Word::Todo => "todo!",
            Word::Unimplemented => "unimplemented!",
            Word::InProgress => "EINPROGRESS",
        }
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// The words a text holds (a bit per [`Word`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found(u32);

impl Found {
    /// Whether the text holds `word`, as `text.contains(word)` says.
    pub(crate) fn has(self, word: Word) -> bool {
        self.0 & word.bit() != 0
    }
}

struct Scanner {
    automaton: Option<aho_corasick::AhoCorasick>,
    /// Per word (by bit position): the words whose match can hide an occurrence of it.
    hidden_by: [u32; Word::ALL.len()],
    finders: Vec<memchr::memmem::Finder<'static>>,
}

/// Can a leftmost-first match of `a` keep an occurrence of `b` from being reported? Only when
/// the two overlap: `b` starts inside `a` (at its start, or later and runs on past it or ends
/// within it), which needs a non-empty suffix of `a` to be a prefix of `b`, or `b` to occur in
/// `a`.
fn can_hide(a: &str, b: &str) -> bool {
    a.contains(b) || (1..=a.len()).any(|i| a.is_char_boundary(i - 1) && b.starts_with(&a[i - 1..]))
}

static SCANNER: LazyLock<Scanner> = LazyLock::new(|| {
    let words = Word::ALL.map(Word::text);
    let mut hidden_by = [0; Word::ALL.len()];
    for (b, word_b) in words.iter().enumerate() {
        for (a, word_a) in words.iter().enumerate() {
            if a != b && can_hide(word_a, word_b) {
                hidden_by[b] |= 1 << a;
            }
        }
    }
    Scanner {
        // Leftmost-first lets the automaton use its SIMD prefilter (Teddy); overlapping
        // search cannot, and costs three times the substring searches it would replace.
        automaton: aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(words)
            .ok(),
        hidden_by,
        finders: words
            .iter()
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
            .collect(),
    }
});

/// The words `text` holds.
pub(crate) fn scan(text: &[u8]) -> Found {
    let scanner = &*SCANNER;
    let all = (1u32 << Word::ALL.len()) - 1;
    let Some(automaton) = &scanner.automaton else {
        return Found(searched(scanner, text, all));
    };
    let mut reported = 0u32;
    for m in automaton.find_iter(text) {
        reported |= 1 << m.pattern().as_usize();
        if reported == all {
            return Found(all);
        }
    }
    // Words not reported that a reported word may have hidden: asked one by one.
    let unsure = (0..Word::ALL.len())
        .filter(|&b| reported & (1 << b) == 0 && scanner.hidden_by[b] & reported != 0)
        .fold(0u32, |set, b| set | 1 << b);
    Found(reported | searched(scanner, text, unsure))
}

/// The words of `set` that `text` holds, by a substring search each.
fn searched(scanner: &Scanner, text: &[u8], set: u32) -> u32 {
    (0..Word::ALL.len())
        .filter(|&i| set & (1 << i) != 0 && scanner.finders[i].find(text).is_some())
        .fold(0u32, |found, i| found | 1 << i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn by_substring_search(text: &str) -> Vec<bool> {
        Word::ALL.iter().map(|w| text.contains(w.text())).collect()
    }

    fn by_scan(text: &str) -> Vec<bool> {
        let found = scan(text.as_bytes());
        Word::ALL.iter().map(|&w| found.has(w)).collect()
    }

    #[test]
    fn words_hidden_by_an_overlapping_match_are_still_found() {
        let texts = [
            "",
            "fn main() {}",
            "Futurenv::var",
            "process::from_std(f)",
            "env::from_file(p)",
            "macro_rulespawn",
            "join_nextype x",
            "let m = Mutex::new(0); m.lock().await;",
            "x.read().await; y.write().await",
            "type A = B; spawn(f); impl Future for X {}",
            "once.call_once(|| ()); cell.get_or_init(f)",
            "std::process::exit(1); std::env::var(\"X\")",
            "RwLock join_all join_next macro_rules",
        ];
        for text in texts {
            assert_eq!(by_scan(text), by_substring_search(text), "{text:?}");
        }
        let hidden = scan(b"Futurenv::");
        assert!(hidden.has(Word::Future) && hidden.has(Word::Env));
        assert!(!hidden.has(Word::Spawn));
    }

    #[test]
    fn a_word_can_be_hidden_only_by_one_it_overlaps() {
        assert!(can_hide("Future", "env::"));
        assert!(can_hide("process::", "::from_std("));
        assert!(!can_hide("Mutex", "RwLock"));
        assert!(!can_hide("type ", "spawn"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn scans_as_substring_searches_do(
            parts in proptest::collection::vec(
                prop_oneof![
                    (0..Word::ALL.len()).prop_map(|i| Word::ALL[i].text().to_string()),
                    "[a-z:().<> ]{0,6}",
                    // A word cut short: what runs on into the next part can overlap it.
                    (0..Word::ALL.len(), 0..13usize).prop_map(|(i, n)| {
                        let w = Word::ALL[i].text();
                        w[..n.min(w.len())].to_string()
                    }),
                ],
                0..12,
            )
        ) {
            let text = parts.concat();
            prop_assert_eq!(by_scan(&text), by_substring_search(&text), "{:?}", text);
        }
    }
}
