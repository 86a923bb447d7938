//! Why a scheduled import failed, as a kind kept beside the English text
//! (`subscriptions.last_error_kind`): the pages say it in French from the
//! kind, so rewording a message changes nothing there, and a new way of
//! failing cannot be added without its French sentence (the matches on
//! [`FailureKind`] are exhaustive).

use hyper::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Not an address concord fetches (scheme, syntax).
    Url,
    /// A private or local address, refused by the guard.
    Refused,
    /// The host name does not resolve.
    Dns,
    /// No connection, or the HTTP exchange broke.
    Unreachable,
    Tls,
    /// The server answered this status.
    Status(StatusCode),
    /// Redirects without end or without a destination.
    Redirects,
    TooLarge,
    Gzip,
    Timeout,
    /// The address answers a web page.
    Html,
    /// What it answers is not iCalendar.
    NotICalendar,
    /// The feed stops before its VCALENDAR ends.
    Truncated,
    /// The database failed while the mirror was written.
    Store,
}

impl FailureKind {
    /// Its name in the database (`status-404` for a status).
    pub fn code(self) -> String {
        let name = match self {
            FailureKind::Status(status) => return format!("status-{}", status.as_u16()),
            FailureKind::Url => "url",
            FailureKind::Refused => "refused",
            FailureKind::Dns => "dns",
            FailureKind::Unreachable => "unreachable",
            FailureKind::Tls => "tls",
            FailureKind::Redirects => "redirects",
            FailureKind::TooLarge => "too-large",
            FailureKind::Gzip => "gzip",
            FailureKind::Timeout => "timeout",
            FailureKind::Html => "html",
            FailureKind::NotICalendar => "not-icalendar",
            FailureKind::Truncated => "truncated",
            FailureKind::Store => "store",
        };
        name.to_owned()
    }

    /// The kind a stored code names; `None` for an unknown one.
    pub fn from_code(code: &str) -> Option<FailureKind> {
        if let Some(status) = code.strip_prefix("status-") {
            let status = status.parse::<u16>().ok()?;
            return StatusCode::from_u16(status).ok().map(FailureKind::Status);
        }
        Some(match code {
            "url" => FailureKind::Url,
            "refused" => FailureKind::Refused,
            "dns" => FailureKind::Dns,
            "unreachable" => FailureKind::Unreachable,
            "tls" => FailureKind::Tls,
            "redirects" => FailureKind::Redirects,
            "too-large" => FailureKind::TooLarge,
            "gzip" => FailureKind::Gzip,
            "timeout" => FailureKind::Timeout,
            "html" => FailureKind::Html,
            "not-icalendar" => FailureKind::NotICalendar,
            "truncated" => FailureKind::Truncated,
            "store" => FailureKind::Store,
            _ => return None,
        })
    }
}

/// A failure: its kind, and the text the command line and the logs show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub text: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_comes_back_from_its_code() {
        let kinds = [
            FailureKind::Url,
            FailureKind::Refused,
            FailureKind::Dns,
            FailureKind::Unreachable,
            FailureKind::Tls,
            FailureKind::Status(StatusCode::NOT_FOUND),
            FailureKind::Status(StatusCode::SERVICE_UNAVAILABLE),
            FailureKind::Redirects,
            FailureKind::TooLarge,
            FailureKind::Gzip,
            FailureKind::Timeout,
            FailureKind::Html,
            FailureKind::NotICalendar,
            FailureKind::Truncated,
            FailureKind::Store,
        ];
        for kind in kinds {
            assert_eq!(FailureKind::from_code(&kind.code()), Some(kind), "{kind:?}");
        }
        for unknown in ["", "status-", "status-99", "status-abc", "later"] {
            assert_eq!(FailureKind::from_code(unknown), None, "{unknown}");
        }
    }
}
