//! One visit: the request, who is signed in (the session cookie), and the
//! CSRF token of the visit's forms.
//!
//! A signed-in visitor's forms carry a value derived from its session
//! token; an anonymous visitor's (sign-in, registration, activation) one
//! derived from a random "form cookie" set when such a form is shown. A
//! page of another site can make a browser send either cookie, never read
//! the derived value, so it cannot forge a form that changes something.

use crate::app::App;
use crate::http::Response;
use crate::store::accounts::Principal;
use crate::store::sessions;
use crate::tokens;
use bytes::Bytes;
use hyper::{HeaderMap, Method};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::OnceLock;

pub const SESSION_COOKIE: &str = "concord_session";
const FORM_COOKIE: &str = "concord_formulaire";
const CSRF_PURPOSE: &str = "concord csrf";

pub struct WebRequest {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub peer: IpAddr,
}

pub struct Visit<'a> {
    pub app: &'a Arc<App>,
    pub request: WebRequest,
    session: Option<(String, Principal)>,
    form_cookie: Option<String>,
    /// A form cookie made during this visit, sent with the answer.
    new_form_cookie: OnceLock<String>,
    /// The session was used after a long pause: its cookie is sent again,
    /// so that the browser keeps it as long as the server does.
    refresh_session_cookie: bool,
}

impl<'a> Visit<'a> {
    /// Reads the cookies; a session cookie that names no live session is
    /// ignored (the visitor is anonymous).
    pub async fn open(app: &'a Arc<App>, request: WebRequest) -> Result<Visit<'a>, String> {
        let session_token = cookie(&request.headers, SESSION_COOKIE);
        let form_cookie = cookie(&request.headers, FORM_COOKIE);
        let mut session = None;
        let mut refresh_session_cookie = false;
        if let Some(token) = session_token.filter(|t| t.len() == 43) {
            let digest = tokens::digest(&token);
            let lookup = digest.clone();
            let found = app
                .store
                .read(move |conn| sessions::find(conn, &lookup))
                .await
                .map_err(|e| e.to_string())?;
            if let Some((user, stale)) = found {
                if stale {
                    let _ = app
                        .store
                        .write(move |tx| sessions::touch(tx, &digest))
                        .await;
                    refresh_session_cookie = true;
                }
                session = Some((token, user));
            }
        }
        Ok(Visit {
            app,
            request,
            session,
            form_cookie,
            new_form_cookie: OnceLock::new(),
            refresh_session_cookie,
        })
    }

    pub fn user(&self) -> Option<&Principal> {
        self.session.as_ref().map(|(_, user)| user)
    }

    pub fn session_token(&self) -> Option<&str> {
        self.session.as_ref().map(|(token, _)| token.as_str())
    }

    /// The value every form of this visit carries in its `csrf` field.
    pub fn csrf_token(&self) -> String {
        let secret = match (&self.session, &self.form_cookie) {
            (Some((token, _)), _) => token.as_str(),
            (None, Some(cookie)) => cookie.as_str(),
            (None, None) => self.new_form_cookie.get_or_init(tokens::new_token),
        };
        tokens::derive(secret, CSRF_PURPOSE)
    }

    /// Whether a submitted `csrf` value is this visit's.
    pub fn csrf_valid(&self, submitted: &str) -> bool {
        let secret = match (&self.session, &self.form_cookie) {
            (Some((token, _)), _) => token,
            (None, Some(cookie)) => cookie,
            (None, None) => return false,
        };
        tokens::same(submitted, &tokens::derive(secret, CSRF_PURPOSE))
    }

    /// Cookies are `Secure` when the site is served over https.
    pub fn secure(&self) -> bool {
        self.app
            .config
            .base_url
            .to_ascii_lowercase()
            .starts_with("https://")
    }

    /// Adds what the visit must set on the browser to the answer.
    pub fn finish(&self, mut response: Response) -> Response {
        if let Some(cookie) = self.new_form_cookie.get() {
            let value = set_cookie(FORM_COOKIE, cookie, None, self.secure());
            append_header(&mut response, "set-cookie", &value);
        }
        if let (true, Some(token)) = (self.refresh_session_cookie, self.session_token()) {
            let max_age = Some(sessions::IDLE_SECONDS);
            let value = set_cookie(SESSION_COOKIE, token, max_age, self.secure());
            if !response.headers().contains_key("set-cookie") {
                append_header(&mut response, "set-cookie", &value);
            }
        }
        response
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, the whole site.
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut out = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(seconds) = max_age {
        out.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        out.push_str("; Secure");
    }
    out
}

pub fn append_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = hyper::header::HeaderValue::from_str(value) {
        response.headers_mut().append(name, value);
    }
}

/// One cookie's value from the `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// Where a redirect after sign-in may go: a path of this site, never an
/// address elsewhere (`//evil.example`, `https://...`).
pub fn local_path(target: &str) -> Option<&str> {
    (target.starts_with('/') && !target.starts_with("//") && !target.contains('\\'))
        .then_some(target)
}

/// The `Response` helper for pages that need a signed-in visitor.
pub fn sign_in_first(path_and_query: &str) -> Response {
    let target: String =
        percent_encoding::utf8_percent_encode(path_and_query, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    super::page::see_other(&format!("/connexion?suite={target}"))
}
