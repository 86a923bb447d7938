//! A browser-like session over real HTTP for the desk's tests: signs in
//! through `/connexion` (session cookie), reads each page's CSRF value and
//! sends forms as a browser does.
#![allow(dead_code)]

use crate::common::{Response, Server, PASSWORD};

pub struct Session<'a> {
    pub server: &'a Server,
    pub cookie: String,
    pub csrf: String,
}

/// The value of the first `name="csrf"` field of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no csrf field in {html}"))
        + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// A `Set-Cookie` header's `name=value`.
fn cookie_named(response: &Response, name: &str) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap().trim().to_owned())
        .find(|pair| pair.starts_with(&format!("{name}=")))
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl<'a> Session<'a> {
    /// Signs `login` in with the test password.
    pub fn sign_in(server: &'a Server, login: &str) -> Session<'a> {
        let form = server.request("GET", "/connexion").send().expect(200);
        let form_cookie = cookie_named(&form, "concord_formulaire").expect("form cookie");
        let csrf = csrf_of(&form.text());
        let body = encode(&[
            ("csrf", &csrf),
            ("identifiant", login),
            ("mot_de_passe", PASSWORD),
        ]);
        let answer = server
            .request("POST", "/connexion")
            .header("Cookie", &form_cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .expect(303);
        let cookie = cookie_named(&answer, "concord_session").expect("session cookie");
        let mut session = Session {
            server,
            cookie,
            csrf: String::new(),
        };
        // Every signed-in page carries the sign-out form and its CSRF value.
        session.csrf = csrf_of(&session.get("/").expect(200).text());
        session
    }

    /// An anonymous visitor that holds a form cookie (as after showing the
    /// sign-in page): its CSRF value passes, it has no session.
    pub fn anonymous(server: &'a Server) -> Session<'a> {
        let form = server.request("GET", "/connexion").send().expect(200);
        Session {
            server,
            cookie: cookie_named(&form, "concord_formulaire").expect("form cookie"),
            csrf: csrf_of(&form.text()),
        }
    }

    pub fn get(&self, path: &str) -> Response {
        self.server
            .request("GET", path)
            .header("Cookie", &self.cookie)
            .send()
    }

    /// Sends a form with this session's CSRF value.
    pub fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &encode(&all))
    }

    pub fn post_raw(&self, path: &str, body: &str) -> Response {
        self.server
            .request("POST", path)
            .header("Cookie", &self.cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
    }
}

/// Where a 303 sends.
pub fn location(response: &Response) -> String {
    response
        .header("location")
        .unwrap_or_else(|| panic!("no location: {response:?}"))
        .to_owned()
}

/// Every value of hidden inputs `name="objet"` on a page, in order.
pub fn values_of(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.match_indices(&marker)
        .map(|(at, _)| {
            html[at + marker.len()..]
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}
