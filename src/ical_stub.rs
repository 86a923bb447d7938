//! Temporary stand-in with the agreed API until src/ical/ lands.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_line_len: usize,
    pub max_depth: usize,
    pub max_instances: usize,
    pub horizon_years: i32,
}
impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1 << 20,
            max_line_len: 65536,
            max_depth: 8,
            max_instances: 5000,
            horizon_years: 5,
        }
    }
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentKind {
    Event,
    Todo,
    Journal,
    FreeBusy,
}
impl ComponentKind {
    pub fn name(&self) -> &'static str {
        match self {
            ComponentKind::Event => "VEVENT",
            ComponentKind::Todo => "VTODO",
            ComponentKind::Journal => "VJOURNAL",
            ComponentKind::FreeBusy => "VFREEBUSY",
        }
    }
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Public,
    Private,
    Confidential,
}
impl Class {
    pub fn name(&self) -> &'static str {
        "PUBLIC"
    }
}
pub struct Instance {
    pub start: i64,
    pub end: i64,
    pub recurrence_id: Option<i64>,
    pub all_day: bool,
    pub floating: bool,
    pub overridden: bool,
    pub cancelled: bool,
    pub transparent: bool,
}
pub struct CalendarObject {
    pub component: ComponentKind,
    pub uid: String,
    pub summary: Option<String>,
    pub location: Option<String>,
    pub class: Class,
    pub categories: Vec<String>,
    pub status: Option<String>,
    pub transparent: bool,
    pub recurring: bool,
    pub instances: Vec<Instance>,
    pub expanded_until: Option<i64>,
}
#[derive(Debug, thiserror::Error)]
pub enum IcalError {
    #[error("{0}")]
    InvalidData(String),
    #[error("{0}")]
    InvalidObject(String),
    #[error("{0}")]
    UnsupportedComponent(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    TooManyInstances(String),
}
pub fn parse_object(
    bytes: &[u8],
    _tz: chrono_tz::Tz,
    _limits: &Limits,
) -> Result<CalendarObject, IcalError> {
    let text = String::from_utf8_lossy(bytes);
    let uid = text
        .lines()
        .find_map(|l| l.strip_prefix("UID:"))
        .ok_or_else(|| IcalError::InvalidData("missing UID".into()))?
        .trim()
        .to_string();
    Ok(CalendarObject {
        component: ComponentKind::Event,
        uid,
        summary: None,
        location: None,
        class: Class::Public,
        categories: vec![],
        status: None,
        transparent: false,
        recurring: false,
        instances: vec![],
        expanded_until: None,
    })
}
pub fn resolve_tzid(tzid: &str) -> Option<chrono_tz::Tz> {
    tzid.parse().ok()
}
pub fn expand_between(
    _bytes: &[u8],
    _tz: chrono_tz::Tz,
    _from: i64,
    _until: i64,
    _limits: &Limits,
) -> Result<Vec<Instance>, IcalError> {
    Ok(vec![])
}
