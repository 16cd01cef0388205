//! Rule groups, levels and how a run decides each finding's level.
//!
//! Every rule belongs to a [`Group`] and has a default [`Level`]. Some rules also report a
//! *pedantic form*: findings that meet the rule's definition where harm is less plausible (an
//! actor's mailbox, a fan-out joined right after). Pedantic forms are off by default and belong
//! to the [`Group::Pedantic`] group whatever their rule's group.
//!
//! [`Levels`] is an ordered list of settings, each naming a rule, a group or `all`; later
//! settings win, as with rustc's `-A/-W/-D`. Every source of settings (built-in defaults, a
//! configuration file, the command line) only appends to the list, so adding a source never
//! changes how the others are read.
//!
//! ```
//! use asyncwise_lint::levels::{Form, Level, Levels, Selector, Setting};
//! let rule = asyncwise_lint::rules::find("unbounded_channel").unwrap();
//! let mut levels = Levels::default();
//! assert_eq!(levels.level_of(rule, Form::Pedantic), Level::Allow);
//! levels.push(Selector::parse("pedantic").unwrap(), Setting::Enable);
//! assert_eq!(levels.level_of(rule, Form::Pedantic), Level::Warn);
//! levels.push(Selector::parse("unbounded_channel").unwrap(), Setting::Level(Level::Deny));
//! assert_eq!(levels.level_of(rule, Form::Default), Level::Deny);
//! assert_eq!(levels.level_of(rule, Form::Pedantic), Level::Deny);
//! ```

use crate::rules::{RULES, Rule};

/// A family of rules, in the manner of clippy's lint groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Code that is wrong: it panics, deadlocks or loses errors.
    Correctness,
    /// Code that is very likely wrong or fragile under load.
    Suspicious,
    /// Code that is slow: it stalls executor threads or lets work pile up.
    Perf,
    /// Findings that meet a rule's definition where the harm is less plausible.
    Pedantic,
}

impl Group {
    /// Every group.
    pub const ALL: [Group; 4] = [
        Group::Correctness,
        Group::Suspicious,
        Group::Perf,
        Group::Pedantic,
    ];

    /// The group's name as users write it.
    ///
    /// ```
    /// assert_eq!(asyncwise_lint::levels::Group::Perf.as_str(), "perf");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Correctness => "correctness",
            Group::Suspicious => "suspicious",
            Group::Perf => "perf",
            Group::Pedantic => "pedantic",
        }
    }
}

/// What to do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported as a warning.
    Warn,
    /// Reported as an error.
    Deny,
}

impl Level {
    /// The level's name as users write it.
    ///
    /// ```
    /// assert_eq!(asyncwise_lint::levels::Level::Deny.as_str(), "deny");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// Which form of its rule a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum Form {
    /// The rule's default form.
    #[default]
    Default,
    /// The pedantic form: reported only when the `pedantic` group is turned on.
    Pedantic,
}

/// What a setting names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// Every rule in every form.
    All,
    /// A group: the default forms of its rules (for `pedantic`: every pedantic form).
    Group(Group),
    /// One rule: the forms of it that are on (for [`Level::Allow`]: both forms).
    Rule(&'static str),
}

/// A name that is neither a rule, a group nor `all`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule or group `{name}`; valid: all, {groups}, {rules}", groups = group_names(), rules = rule_names())]
pub struct UnknownSelector {
    /// The name given.
    pub name: String,
}

fn group_names() -> String {
    Group::ALL.map(Group::as_str).join(", ")
}

fn rule_names() -> String {
    RULES.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
}

impl Selector {
    /// Reads a rule name, a group name or `all`.
    ///
    /// ```
    /// use asyncwise_lint::levels::{Group, Selector};
    /// assert_eq!(Selector::parse("perf"), Ok(Selector::Group(Group::Perf)));
    /// assert!(Selector::parse("nonsense").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Selector, UnknownSelector> {
        let name = name.trim();
        if name == "all" {
            return Ok(Selector::All);
        }
        if let Some(group) = Group::ALL.into_iter().find(|g| g.as_str() == name) {
            return Ok(Selector::Group(group));
        }
        RULES
            .iter()
            .find(|r| r.name == name)
            .map(|r| Selector::Rule(r.name))
            .ok_or_else(|| UnknownSelector {
                name: name.to_owned(),
            })
    }
}

/// What a setting does to the findings it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Turn on at the rule's default level (warn for a rule off by default and for pedantic
    /// forms).
    Enable,
    /// Set this level.
    Level(Level),
}

/// An ordered list of level settings; later settings win (see the [module docs](self)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Levels {
    settings: Vec<(Selector, Setting)>,
}

impl Levels {
    /// Every rule in every form at its default level (pedantic forms warn): how fixtures and
    /// `--select all` run.
    ///
    /// ```
    /// use asyncwise_lint::levels::{Form, Level, Levels};
    /// let rule = asyncwise_lint::rules::find("unbounded_spawn").unwrap();
    /// assert_eq!(Levels::everything().level_of(rule, Form::Pedantic), Level::Warn);
    /// ```
    pub fn everything() -> Levels {
        let mut levels = Levels::default();
        levels.push(Selector::All, Setting::Enable);
        levels
    }

    /// Appends a setting; it overrides earlier ones where they overlap.
    pub fn push(&mut self, selector: Selector, setting: Setting) {
        self.settings.push((selector, setting));
    }

    /// Appends every setting of `later` (a later source: the command line after the
    /// configuration).
    pub fn extend(&mut self, later: &Levels) {
        self.settings.extend(later.settings.iter().copied());
    }

    /// `--select`: turns everything off, then turns on what is named.
    ///
    /// ```
    /// use asyncwise_lint::levels::{Form, Level, Levels, Selector};
    /// let mut levels = Levels::default();
    /// levels.select(&[Selector::parse("detached_task").unwrap()]);
    /// let rules = asyncwise_lint::rules::RULES;
    /// let on: Vec<_> = rules.iter().filter(|r| levels.level_of(r, Form::Default) != Level::Allow).map(|r| r.name).collect();
    /// assert_eq!(on, ["detached_task"]);
    /// ```
    pub fn select(&mut self, selectors: &[Selector]) {
        self.push(Selector::All, Setting::Level(Level::Allow));
        for s in selectors {
            self.push(*s, Setting::Enable);
        }
    }

    /// The level of `rule`'s findings of `form`.
    pub fn level_of(&self, rule: &Rule, form: Form) -> Level {
        let mut level = match form {
            Form::Default => rule.default_level,
            Form::Pedantic => Level::Allow,
        };
        for (selector, setting) in &self.settings {
            let applies = match selector {
                Selector::All => true,
                Selector::Group(Group::Pedantic) => {
                    form == Form::Pedantic || rule.group == Group::Pedantic
                }
                Selector::Group(g) => form == Form::Default && rule.group == *g,
                Selector::Rule(name) => {
                    *name == rule.name
                        && (form == Form::Default
                            || level != Level::Allow
                            || *setting == Setting::Level(Level::Allow))
                }
            };
            if !applies {
                continue;
            }
            level = match setting {
                Setting::Level(l) => *l,
                Setting::Enable => match form {
                    Form::Default if rule.default_level != Level::Allow => rule.default_level,
                    _ => Level::Warn,
                },
            };
        }
        level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> &'static Rule {
        crate::rules::find(name).expect("a registered rule")
    }

    #[test]
    fn later_settings_win_and_allow_turns_both_forms_off() {
        let r = rule("unbounded_spawn");
        let mut levels = Levels::everything();
        levels.push(Selector::Rule(r.name), Setting::Level(Level::Allow));
        assert_eq!(levels.level_of(r, Form::Default), Level::Allow);
        assert_eq!(levels.level_of(r, Form::Pedantic), Level::Allow);
        levels.push(Selector::Rule(r.name), Setting::Level(Level::Warn));
        // Naming a rule does not turn its pedantic form on.
        assert_eq!(levels.level_of(r, Form::Default), Level::Warn);
        assert_eq!(levels.level_of(r, Form::Pedantic), Level::Allow);
    }

    #[test]
    fn groups_name_default_forms_only() {
        let r = rule("blocking_in_async");
        let mut levels = Levels::default();
        levels.push(Selector::Group(r.group), Setting::Level(Level::Deny));
        assert_eq!(levels.level_of(r, Form::Default), Level::Deny);
        assert_eq!(levels.level_of(r, Form::Pedantic), Level::Allow);
        levels.push(Selector::Group(Group::Pedantic), Setting::Enable);
        assert_eq!(levels.level_of(r, Form::Pedantic), Level::Warn);
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = Selector::parse("blocking").unwrap_err();
        assert!(err.to_string().contains("blocking_in_async"));
        assert!(err.to_string().contains("pedantic"));
    }
}
