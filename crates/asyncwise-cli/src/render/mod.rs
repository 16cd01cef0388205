//! Output formats. Each reads a [`CheckReport`](asyncwise_lint::CheckReport) (or the rule
//! registry) and nothing else: new formats are new modules here.

pub mod github;
pub mod human;
pub mod json;
pub mod rustc_json;
pub mod sarif;

use asyncwise_lint::rules::Rule;

/// `asyncwise rules`: one line per rule (name, group, default level, whether it has a pedantic
/// form, summary), aligned.
pub fn rules_list(rules: &[Rule]) -> String {
    let width = rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in rules {
        let pedantic = if rule.pedantic_form().is_some() {
            "+pedantic"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:width$}  {:11}  {:5}  {pedantic:9}  {}\n",
            rule.name,
            rule.group.as_str(),
            rule.default_level.as_str(),
            rule.summary()
        ));
    }
    if rules.is_empty() {
        out.push_str("no rules are registered\n");
    }
    out
}

/// `asyncwise rules --markdown`: the README's rule table.
pub fn rules_markdown(rules: &[Rule]) -> String {
    let mut out = String::from(
        "| Rule | Group | Default | Pedantic form | What it finds |\n| --- | --- | --- | --- | --- |\n",
    );
    for rule in rules {
        let summary = rule.summary().replace('|', "\\|");
        let pedantic = rule.pedantic_form().unwrap_or_else(|| "—".into());
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {summary} |\n",
            rule.name,
            rule.group.as_str(),
            rule.default_level.as_str(),
            pedantic.replace('|', "\\|"),
        ));
    }
    out
}

/// `1 warning`, `2 warnings`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
