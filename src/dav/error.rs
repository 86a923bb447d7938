//! The protocol layer's one error type, mapped once to an HTTP status and,
//! where RFC 4918/4791/6578 name one, a `DAV:error` precondition body.

use super::xml::{escape, CALDAV, DAV};
use crate::http::{self, Response};
use crate::store::StoreError;
use hyper::StatusCode;

#[derive(Debug)]
pub enum DavError {
    BadRequest(String),
    Unauthorized,
    Forbidden(String),
    /// 403 with `DAV:need-privileges` naming the resource and privilege,
    /// and why when there is more to say than "not yours".
    NeedPrivileges {
        href: String,
        privilege: &'static str,
        reason: Option<&'static str>,
    },
    NotFound,
    MethodNotAllowed {
        allow: &'static str,
    },
    Conflict(String),
    PreconditionFailed(String),
    TooLarge(usize),
    UnsupportedMediaType(String),
    /// A named precondition or postcondition (RFC 4918 section 16).
    Condition {
        status: StatusCode,
        condition: Condition,
        message: String,
    },
    Internal(String),
}

#[derive(Debug, Clone)]
pub enum Condition {
    Dav(&'static str),
    CalDav(&'static str),
    /// `CALDAV:no-uid-conflict` carries the href of the holder of the UID.
    NoUidConflict(String),
}

impl DavError {
    pub fn caldav(status: StatusCode, name: &'static str, message: impl Into<String>) -> DavError {
        DavError::Condition {
            status,
            condition: Condition::CalDav(name),
            message: message.into(),
        }
    }

    pub fn dav(status: StatusCode, name: &'static str, message: impl Into<String>) -> DavError {
        DavError::Condition {
            status,
            condition: Condition::Dav(name),
            message: message.into(),
        }
    }

    pub fn into_response(self) -> Response {
        match self {
            DavError::BadRequest(message) => http::text(StatusCode::BAD_REQUEST, &message),
            DavError::Unauthorized => {
                let mut response =
                    http::text(StatusCode::UNAUTHORIZED, "Authentication is required.");
                http::set_header(
                    &mut response,
                    "www-authenticate",
                    "Basic realm=\"concord\", charset=\"UTF-8\"",
                );
                response
            }
            DavError::Forbidden(message) => http::text(StatusCode::FORBIDDEN, &message),
            DavError::NeedPrivileges {
                href,
                privilege,
                reason,
            } => {
                let body = format!(
                    "<D:need-privileges><D:resource><D:href>{}</D:href><D:privilege><D:{privilege}/></D:privilege></D:resource></D:need-privileges>",
                    escape(&href)
                );
                let message = match (reason, privilege) {
                    (Some(reason), _) => reason,
                    (None, "read" | "read-current-user-privilege-set") => {
                        "You may not read this resource."
                    }
                    (None, _) => "You may not change this resource.",
                };
                error_body(StatusCode::FORBIDDEN, &body, message)
            }
            DavError::NotFound => {
                http::text(StatusCode::NOT_FOUND, "Nothing exists at this address.")
            }
            DavError::MethodNotAllowed { allow } => {
                let mut response = http::text(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "This method is not allowed on this resource.",
                );
                http::set_header(&mut response, "allow", allow);
                response
            }
            DavError::Conflict(message) => http::text(StatusCode::CONFLICT, &message),
            DavError::PreconditionFailed(message) => {
                http::text(StatusCode::PRECONDITION_FAILED, &message)
            }
            DavError::TooLarge(limit) => http::text(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("The request body is larger than the limit of {limit} octets."),
            ),
            DavError::UnsupportedMediaType(message) => {
                http::text(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message)
            }
            DavError::Condition {
                status,
                condition,
                message,
            } => {
                let element = match condition {
                    Condition::Dav(name) => format!("<D:{name}/>"),
                    Condition::CalDav(name) => format!("<C:{name}/>"),
                    Condition::NoUidConflict(href) => format!(
                        "<C:no-uid-conflict><D:href>{}</D:href></C:no-uid-conflict>",
                        escape(&href)
                    ),
                };
                error_body(status, &element, &message)
            }
            DavError::Internal(detail) => {
                tracing::error!("internal error: {detail}");
                http::text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The server could not complete the request; the problem was logged.",
                )
            }
        }
    }
}

/// `DAV:error` with the condition element, plus the readable message in a
/// `DAV:responsedescription`-like element clients show or log.
fn error_body(status: StatusCode, condition: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"{DAV}\" xmlns:C=\"{CALDAV}\">{condition}<D:responsedescription>{}</D:responsedescription></D:error>\n",
        escape(message)
    );
    http::response(status, http::XML, body)
}

impl From<StoreError> for DavError {
    fn from(error: StoreError) -> DavError {
        DavError::Internal(error.to_string())
    }
}

impl From<super::xml::XmlError> for DavError {
    fn from(error: super::xml::XmlError) -> DavError {
        DavError::BadRequest(error.to_string())
    }
}

pub type DavResult<T> = Result<T, DavError>;
