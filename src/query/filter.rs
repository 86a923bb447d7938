//! CalDAV calendar-query filters (RFC 4791 9.7) evaluated on a stored
//! object's content-line tree. Time ranges on the object's main components
//! are answered by the instance index before this runs (see `dav::report`);
//! here they matter for properties and for alarms (RFC 4791 9.9: a VALARM
//! matches when one of its trigger times, repetitions included, for any
//! instance of its component falls in the range).

use super::tree::{Component, Property};

#[derive(Debug, Clone, Default)]
pub struct CompFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub props: Vec<PropFilter>,
    pub comps: Vec<CompFilter>,
    /// `test="anyof"` (Apple's extension, later RFC 7809-era clients).
    pub any_of: bool,
}

#[derive(Debug, Clone, Default)]
pub struct PropFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub time_range: Option<TimeRange>,
    pub text_match: Option<TextMatch>,
    pub params: Vec<ParamFilter>,
    pub any_of: bool,
}

#[derive(Debug, Clone)]
pub struct ParamFilter {
    pub name: String,
    pub is_not_defined: bool,
    pub text_match: Option<TextMatch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collation {
    /// i;ascii-casemap, the default: ASCII letters compared case-blind.
    AsciiCasemap,
    /// i;octet: exact bytes.
    Octet,
    /// i;unicode-casemap (RFC 5051): Unicode case folding.
    UnicodeCasemap,
}

impl Collation {
    pub fn parse(name: &str) -> Option<Collation> {
        match name {
            "i;ascii-casemap" => Some(Collation::AsciiCasemap),
            "i;octet" => Some(Collation::Octet),
            "i;unicode-casemap" => Some(Collation::UnicodeCasemap),
            _ => None,
        }
    }

    fn fold(self, text: &str) -> String {
        match self {
            Collation::AsciiCasemap => text.to_ascii_lowercase(),
            Collation::Octet => text.to_owned(),
            Collation::UnicodeCasemap => text.to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    Contains,
    Equals,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone)]
pub struct TextMatch {
    pub text: String,
    pub collation: Collation,
    pub negate: bool,
    pub match_type: MatchType,
}

impl TextMatch {
    pub fn matches(&self, value: &str) -> bool {
        let value = self.collation.fold(value);
        let needle = self.collation.fold(&self.text);
        let found = match self.match_type {
            MatchType::Contains => value.contains(&needle),
            MatchType::Equals => value == needle,
            MatchType::StartsWith => value.starts_with(&needle),
            MatchType::EndsWith => value.ends_with(&needle),
        };
        found != self.negate
    }
}

/// UTC bounds in Unix seconds; `None` is open.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeRange {
    pub start: Option<i64>,
    pub end: Option<i64>,
}

impl TimeRange {
    pub fn contains_instant(&self, t: i64) -> bool {
        self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t < e)
    }
}

/// The (start, end) UTC instances of a component of the object (a series'
/// master, or one overridden occurrence) that overlap [from, until).
pub type InstancesOf<'a> = &'a dyn Fn(&Component, i64, i64) -> Vec<(i64, i64)>;

/// What matching needs beside the filter.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// Converts floating date-times of property time ranges.
    pub floating: chrono_tz::Tz,
    /// Instances of a component, for time ranges inside VALARM.
    pub instances: InstancesOf<'a>,
}

/// Whether the VCALENDAR `calendar` matches `filter` (whose name is
/// VCALENDAR).
pub fn matches(calendar: &Component, filter: &CompFilter, context: Context) -> bool {
    comp_matches(calendar, filter, context)
}

fn comp_matches(component: &Component, filter: &CompFilter, context: Context) -> bool {
    // Time ranges on the object's main component were checked in the index;
    // those of alarms are checked by `child_matches`, which knows the parent.
    let mut tests = filter
        .props
        .iter()
        .map(|p| prop_matches(component, p, context.floating))
        .chain(
            filter
                .comps
                .iter()
                .map(|c| child_matches(component, c, context)),
        );
    if filter.any_of {
        filter.props.is_empty() && filter.comps.is_empty() || tests.any(|ok| ok)
    } else {
        tests.all(|ok| ok)
    }
}

fn child_matches(parent: &Component, filter: &CompFilter, context: Context) -> bool {
    let mut candidates = parent.children_named(&filter.name).peekable();
    if filter.is_not_defined {
        return candidates.peek().is_none();
    }
    // Only alarms' time ranges are left to check here (`dav::report`
    // refuses time ranges on other nested components).
    let alarm_range = filter.time_range.filter(|_| filter.name == "VALARM");
    candidates.any(|child| {
        alarm_range.is_none_or(|range| super::alarms::rings_within(parent, child, range, context))
            && comp_matches(child, filter, context)
    })
}

fn prop_matches(component: &Component, filter: &PropFilter, tz: chrono_tz::Tz) -> bool {
    let mut candidates = component.properties_named(&filter.name).peekable();
    if filter.is_not_defined {
        return candidates.peek().is_none();
    }
    candidates.any(|property| one_prop_matches(property, filter, tz))
}

fn one_prop_matches(property: &Property, filter: &PropFilter, tz: chrono_tz::Tz) -> bool {
    let mut tests: Vec<bool> = Vec::new();
    if let Some(range) = &filter.time_range {
        tests.push(
            property
                .instant(tz)
                .is_some_and(|t| range.contains_instant(t)),
        );
    }
    if let Some(text) = &filter.text_match {
        let values = property.text_values();
        tests.push(if text.negate {
            values.iter().all(|v| text.matches(v))
        } else {
            values.iter().any(|v| text.matches(v))
        });
    }
    for param in &filter.params {
        let value = property.param(&param.name);
        tests.push(match (param.is_not_defined, value, &param.text_match) {
            (true, value, _) => value.is_none(),
            (false, None, _) => false,
            (false, Some(_), None) => true,
            (false, Some(value), Some(text)) => text.matches(value),
        });
    }
    if filter.any_of {
        tests.is_empty() || tests.into_iter().any(|ok| ok)
    } else {
        tests.into_iter().all(|ok| ok)
    }
}
