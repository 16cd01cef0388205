//! The analyzer never panics: arbitrary text, and real fixtures cut or spliced at arbitrary
//! points (the half-typed code an editor integration sees), give findings or a per-file error.

use proptest::prelude::*;

fn fixtures() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("ui");
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("fixture folder is readable")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).expect("fixtures are UTF-8"));
            }
        }
    }
    out.sort();
    out
}

/// Checks `src`; findings or an ordinary per-file error are fine, a caught panic is not.
fn no_internal_error(name: &str, src: &str) -> Result<(), TestCaseError> {
    if let Err(e) = asyncwise_lint::check_source(name, src) {
        prop_assert!(
            !e.message.contains("internal error"),
            "analyzer panicked on {name}: {}\n{src}",
            e.message
        );
    }
    Ok(())
}

/// Cuts `s` to at most `at` bytes on a char boundary.
fn cut(s: &str, at: usize) -> &str {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    &s[..at]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,400}") {
        no_internal_error("arbitrary.rs", &src)?;
    }

    #[test]
    fn rust_like_token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(vec![
        "async", "fn", "f", "(", ")", "{", "}", "[", "]", ".await", "?", ";", "let", "=", "match",
        "=>", ",", "if", "else", "loop", "for", "in", "while", "tokio::spawn", "std::thread::sleep",
        "m.lock().unwrap()", "drop", "move", "|", "||", "select!", "mod", "use", "::", "self", "0..4",
    ]), 0..120)) {
        let src = tokens.join(" ");
        no_internal_error("soup.rs", &src)?;
    }

    #[test]
    fn truncated_and_spliced_fixtures_never_panic(pick in any::<prop::sample::Index>(), other in any::<prop::sample::Index>(), a in 0usize..20_000, b in 0usize..20_000) {
        let all = fixtures();
        let first = &all[pick.index(all.len())];
        let second = &all[other.index(all.len())];
        let truncated = cut(first, a);
        no_internal_error("truncated.rs", truncated)?;
        let spliced = format!("{}{}", truncated, &second[cut(second, b).len()..]);
        no_internal_error("spliced.rs", &spliced)?;
    }
}

#[test]
fn valid_fixtures_cut_mid_file_still_report_or_error_cleanly() {
    for source in fixtures() {
        for at in [source.len() / 3, source.len() / 2] {
            match asyncwise_lint::check_source("cut.rs", cut(&source, at)) {
                Ok(_) => {}
                Err(e) => assert!(
                    !e.message.contains("internal error"),
                    "analyzer panicked: {}",
                    e.message
                ),
            }
        }
    }
}
