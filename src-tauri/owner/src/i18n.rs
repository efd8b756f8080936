//! Ferry's languages outside the window: the notifications, the tray's menu, status line and
//! tooltip, and the window's native dialogs read their texts here, from the Fluent catalogues
//! in `locales/<language>/ferry.ftl` (built into the program).
//!
//! The language is a setting ([`Language`]): the system's (`LC_ALL`, `LC_MESSAGES`, `LANG`),
//! English or Brazilian Portuguese. The `ferry` command line and the logs stay English.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, Loader};
use serde::{Deserialize, Serialize};
pub use unic_langid::LanguageIdentifier;

static_loader! {
    static CATALOGUES = {
        locales: "./locales",
        fallback_language: "en-US",
        // No Unicode isolation marks around placeholders: notifications and menus show them.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The language Ferry speaks, as the user chose it in Settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Language {
    /// Follow the system's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`).
    #[default]
    #[serde(rename = "system")]
    System,
    /// English.
    #[serde(rename = "en")]
    English,
    /// Brazilian Portuguese.
    #[serde(rename = "pt-BR")]
    PortugueseBrazil,
}

/// The catalogue of English texts.
pub fn english() -> LanguageIdentifier {
    unic_langid::langid!("en-US")
}

/// The catalogue of Brazilian Portuguese texts.
pub fn portuguese() -> LanguageIdentifier {
    unic_langid::langid!("pt-BR")
}

impl Language {
    /// The catalogue this choice reads from (the system's language resolved now).
    pub fn locale(self) -> LanguageIdentifier {
        match self {
            Language::System => system_locale(),
            Language::English => english(),
            Language::PortugueseBrazil => portuguese(),
        }
    }
}

/// The catalogue for the system's locale: the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that
/// is set; Portuguese ones (`pt_BR.UTF-8`, `pt_PT`) read Brazilian Portuguese, others English.
pub fn system_locale() -> LanguageIdentifier {
    let variable = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty());
    locale_of(variable.as_deref().unwrap_or(""))
}

/// The catalogue for a POSIX locale name (`pt_BR.UTF-8`) or a language tag (`pt-BR`).
pub fn locale_of(name: &str) -> LanguageIdentifier {
    let language = name
        .split(['_', '-', '.', '@'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if language == "pt" {
        portuguese()
    } else {
        english()
    }
}

/// The message `id` in `locale`.
pub fn text(locale: &LanguageIdentifier, id: &str) -> String {
    CATALOGUES.lookup(locale, id)
}

/// The message `id` in `locale` with its placeholders filled from `args`.
pub fn text_with(locale: &LanguageIdentifier, id: &str, args: &[(&str, Arg)]) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(name, value)| {
            let value = match value {
                Arg::Text(text) => FluentValue::from(text.as_str()),
                Arg::Number(number) => FluentValue::from(*number),
            };
            (Cow::Owned((*name).to_owned()), value)
        })
        .collect();
    CATALOGUES.lookup_with_args(locale, id, &args)
}

/// A value for a message's placeholder.
#[derive(Clone, Debug)]
pub enum Arg {
    /// Text shown as it is (a job's name).
    Text(String),
    /// A count: it also picks the plural form.
    Number(u64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_owned())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<u64> for Arg {
    fn from(number: u64) -> Self {
        Arg::Number(number)
    }
}

impl From<usize> for Arg {
    fn from(number: usize) -> Self {
        Arg::Number(number as u64)
    }
}

impl From<u32> for Arg {
    fn from(number: u32) -> Self {
        Arg::Number(u64::from(number))
    }
}

impl From<u8> for Arg {
    fn from(number: u8) -> Self {
        Arg::Number(u64::from(number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message ids of one catalogue file.
    fn ids(file: &str) -> Vec<String> {
        file.lines()
            .filter(|line| line.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|line| line.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn both_catalogues_have_the_same_messages() {
        let english = ids(include_str!("../locales/en-US/ferry.ftl"));
        let brazilian = ids(include_str!("../locales/pt-BR/ferry.ftl"));
        assert!(english.len() > 30, "{english:?}");
        assert_eq!(english, brazilian);
        // Every placeholder any message uses, so a message formats without errors.
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = [
            "count",
            "percent",
            "time",
            "parts",
            "name",
            "description",
            "code",
            "advice",
            "days",
            "file",
            "folder",
        ]
        .into_iter()
        .map(|name| (Cow::Borrowed(name), FluentValue::from(2)))
        .collect();
        for id in &english {
            assert!(
                CATALOGUES
                    .try_lookup_with_args(&portuguese(), id, &args)
                    .is_some(),
                "{id} has no Portuguese text"
            );
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let en = english();
        let pt = portuguese();
        let paused =
            |locale, count: u64| text_with(locale, "bulk-paused", &[("count", count.into())]);
        assert_eq!(paused(&en, 1), "Paused 1 job.");
        assert_eq!(paused(&en, 2), "Paused 2 jobs.");
        assert_eq!(paused(&pt, 1), "1 download pausado.");
        assert_eq!(paused(&pt, 2), "2 downloads pausados.");
        assert!(paused(&pt, 0).starts_with("Nada para pausar"));
    }

    #[test]
    fn locale_names_pick_the_catalogue() {
        assert_eq!(locale_of("pt_BR.UTF-8"), portuguese());
        assert_eq!(locale_of("pt"), portuguese());
        assert_eq!(locale_of("en_GB.UTF-8"), english());
        assert_eq!(locale_of("C"), english());
        assert_eq!(locale_of(""), english());
        assert_eq!(Language::PortugueseBrazil.locale(), portuguese());
    }
}
