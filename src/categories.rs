//! Which configured categories an event belongs to: those its CATEGORIES
//! name (by slug, name or alias, compared loosely); when it names none of
//! them, its organiser's; when its organiser has none either, those whose
//! name or alias its SUMMARY holds as whole words ("Super loto du comité"
//! is a loto). One rule for the filters, the feeds and the conflict rules.

use crate::config::Config;
use crate::text::normalize;
use std::collections::{HashMap, HashSet};

pub struct CategoryMatcher {
    /// Normalised slug, name or alias to slug.
    names: HashMap<String, String>,
    /// Normalised name or alias framed by spaces (" vide grenier "), with
    /// its slug, for whole-word search in summaries.
    in_text: Vec<(String, String)>,
}

/// Where an event's categories came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Its own CATEGORIES.
    Own,
    /// Its organiser's default categories.
    Organiser,
    /// Words of its SUMMARY.
    Summary,
    /// Nothing: the event has no category.
    None,
}

impl CategoryMatcher {
    pub fn new(config: &Config) -> CategoryMatcher {
        let mut names = HashMap::new();
        let mut in_text = Vec::new();
        for category in &config.categories {
            for name in std::iter::once(&category.slug)
                .chain(std::iter::once(&category.name))
                .chain(&category.aliases)
            {
                let normalized = normalize(name);
                if !normalized.is_empty() && name != &category.slug {
                    let framed = format!(" {normalized} ");
                    if !in_text.contains(&(framed.clone(), category.slug.clone())) {
                        in_text.push((framed, category.slug.clone()));
                    }
                }
                names.insert(normalized, category.slug.clone());
            }
        }
        CategoryMatcher { names, in_text }
    }

    /// `event` is the event's CATEGORIES (comma-joined), `organiser` the
    /// organiser's category slugs (comma-joined), `summary` its SUMMARY.
    pub fn slugs(&self, event: &str, organiser: &str, summary: &str) -> HashSet<String> {
        self.effective(event, organiser, summary).0
    }

    /// The event's categories and where they came from.
    pub fn effective(
        &self,
        event: &str,
        organiser: &str,
        summary: &str,
    ) -> (HashSet<String>, Source) {
        let own: HashSet<String> = event
            .split(',')
            .filter_map(|c| self.names.get(&normalize(c)).cloned())
            .collect();
        if !own.is_empty() {
            return (own, Source::Own);
        }
        let defaults: HashSet<String> = organiser
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        if !defaults.is_empty() {
            return (defaults, Source::Organiser);
        }
        let found = self.in_summary(summary);
        let source = if found.is_empty() {
            Source::None
        } else {
            Source::Summary
        };
        (found, source)
    }

    /// Categories whose name or alias `summary` holds as whole words.
    pub fn in_summary(&self, summary: &str) -> HashSet<String> {
        if self.in_text.is_empty() || summary.trim().is_empty() {
            return HashSet::new();
        }
        let text = format!(" {} ", normalize(summary));
        self.in_text
            .iter()
            .filter(|(key, _)| text.contains(key.as_str()))
            .map(|(_, slug)| slug.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_say_what_uncategorised_events_are() {
        let config: Config = toml::from_str(
            r#"
            [[categories]]
            slug = "loto"
            name = "Loto"
            aliases = ["quine"]
            [[categories]]
            slug = "vide-grenier"
            name = "Vide-grenier"
            "#,
        )
        .unwrap();
        let m = CategoryMatcher::new(&config);
        let one = |s: &str| HashSet::from([s.to_owned()]);
        assert_eq!(
            m.effective("", "", "Super LOTO du comité"),
            (one("loto"), Source::Summary)
        );
        assert_eq!(m.slugs("", "", "Grand quine"), one("loto"));
        assert_eq!(
            m.slugs("", "", "Vide grenier de printemps"),
            one("vide-grenier")
        );
        assert!(
            m.slugs("", "", "Lotos et jeux").is_empty(),
            "whole words only"
        );
        assert_eq!(m.effective("", "", "Réunion").1, Source::None);
        assert_eq!(
            m.effective("", "sport", "Super loto"),
            (one("sport"), Source::Organiser)
        );
        assert_eq!(
            m.effective("Quine", "sport", "Réunion"),
            (one("loto"), Source::Own)
        );
    }
}
