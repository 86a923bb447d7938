//! Forms sent by pages: `application/x-www-form-urlencoded` bodies read
//! into typed structs, and the CSRF field every such form carries.

use super::visit::Visit;
use serde::de::DeserializeOwned;

/// Reads a form body into `T` (unknown fields are ignored: the CSRF field
/// and the buttons' names come with every form).
pub fn parse<T: DeserializeOwned>(visit: &Visit) -> Result<T, String> {
    serde_html_form::from_bytes(&visit.request.body)
        .map_err(|e| format!("Le formulaire envoyé est illisible ({e})."))
}

/// The CSRF value a POST carries: the `csrf` field of a form body, or of
/// the address for file uploads (`multipart/form-data`, whose body is
/// read only by the page that takes the file).
pub fn submitted_csrf(visit: &Visit) -> Option<String> {
    let request = &visit.request;
    let from = if is_multipart(visit) {
        request.query.as_str()
    } else {
        std::str::from_utf8(&request.body).ok()?
    };
    crate::params::pairs(from)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == "csrf")
        .map(|(_, value)| value)
}

/// Is this request's body a file upload?
pub fn is_multipart(visit: &Visit) -> bool {
    crate::http::header(&visit.request.headers, "content-type")
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"))
}
