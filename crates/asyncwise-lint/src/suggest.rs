//! "Did you mean" suggestions for misspelt rule names and configuration keys.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
///
/// ```
/// use asyncwise_lint::suggest::did_you_mean;
/// let names = ["blocking_in_async", "detached_task"];
/// assert_eq!(did_you_mean("blockin_in_async", names), Some("blocking_in_async"));
/// assert_eq!(did_you_mean("exclude", names), None);
/// ```
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
