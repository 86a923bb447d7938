//! A small browser for tests of the web pages: keeps cookies, remembers
//! the CSRF value of the pages it shows, signs in as a person does, sends
//! forms (url-encoded and multipart) and follows redirects when told to.

use super::{Response, Server, PASSWORD};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

pub struct WebClient<'a> {
    pub server: &'a Server,
    jar: Jar,
}

/// What a client keeps between requests, apart from the server it talks
/// to, so that it outlives a restart of the server
/// ([`WebClient::into_jar`], [`WebClient::with_jar`]).
#[derive(Default)]
pub struct Jar {
    cookies: BTreeMap<String, String>,
    /// The loopback address the client connects from (127.0.0.1 when
    /// None): another visitor, for the limits per address.
    source: Option<Ipv4Addr>,
    /// The `csrf` value of the forms shown since the cookies last changed
    /// (it derives from the session, or else from the form cookie, so it
    /// is the same on every page until then).
    csrf: Option<String>,
}

/// A multipart part: a text field or a file.
pub enum Part<'a> {
    Text(&'a str),
    File {
        name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

/// Form-encodes `pairs` as a browser does.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, NON_ALPHANUMERIC),
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the hidden `csrf` field of a page.
#[track_caller]
pub fn csrf_from(page: &str) -> String {
    hidden_field(page, "csrf").unwrap_or_else(|| panic!("no csrf field in {page}"))
}

/// The value of a hidden field named `name`, as the browser would send it.
pub fn hidden_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(unescape_html(&page[start..end]))
}

/// Every value of the fields named `name` on a page, in order, as written
/// (the ids of a list's forms, say).
pub fn values_of(page: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    page.match_indices(&marker)
        .map(|(at, _)| {
            page[at + marker.len()..]
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Where a redirect sends.
#[track_caller]
pub fn location(response: &Response) -> String {
    response
        .header("location")
        .unwrap_or_else(|| panic!("no location: {response:?}"))
        .to_owned()
}

/// Undoes the escaping of attribute values in pages.
pub fn unescape_html(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl<'a> WebClient<'a> {
    /// A visitor with no cookie yet.
    pub fn new(server: &'a Server) -> WebClient<'a> {
        WebClient::with_jar(server, Jar::default())
    }

    /// A visitor with no cookie yet that connects from `source` (another
    /// loopback address).
    pub fn from(server: &'a Server, source: Ipv4Addr) -> WebClient<'a> {
        WebClient::with_jar(
            server,
            Jar {
                source: Some(source),
                ..Jar::default()
            },
        )
    }

    /// An anonymous visitor that holds a form cookie, as after showing the
    /// sign-in page: its CSRF value passes, it has no session.
    #[track_caller]
    pub fn anonymous(server: &'a Server) -> WebClient<'a> {
        let mut client = WebClient::new(server);
        client.form("/connexion").expect(200);
        assert!(client.cookie("concord_formulaire").is_some(), "form cookie");
        client
    }

    /// Signs `login` (organiser or staff) in with the test password
    /// through the sign-in page, as a person would, and opens the page it
    /// lands on (whose sign-out form gives the session's CSRF value).
    #[track_caller]
    pub fn signed_in(server: &'a Server, login: &str) -> WebClient<'a> {
        let mut client = WebClient::new(server);
        let response = client.sign_in(login, PASSWORD);
        assert_eq!(response.status, 303, "sign-in failed: {}", response.text());
        assert!(client.cookie("concord_session").is_some(), "session cookie");
        let landing = client.follow(&response).expect(200);
        csrf_from(&landing.text());
        client
    }

    /// The client taken back to the same server after its restart.
    pub fn with_jar(server: &'a Server, jar: Jar) -> WebClient<'a> {
        WebClient { server, jar }
    }

    /// What the client keeps (cookies, address), to hand to
    /// [`WebClient::with_jar`] once the server has restarted.
    pub fn into_jar(self) -> Jar {
        self.jar
    }

    /// Fills in the sign-in page's form: the answer, not followed.
    pub fn sign_in(&mut self, login: &str, password: &str) -> Response {
        self.submit(
            "/connexion",
            "/connexion",
            &[("identifiant", login), ("mot_de_passe", password)],
        )
    }

    /// The value of the cookie `name`, if the client holds it.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.cookies.get(name).map(String::as_str)
    }

    /// The `csrf` value of the forms of the pages this client was shown
    /// since its cookies last changed.
    #[track_caller]
    pub fn csrf(&self) -> String {
        self.jar
            .csrf
            .clone()
            .expect("no page with a form shown since the cookies changed")
    }

    fn cookie_header(&self) -> Option<String> {
        (!self.jar.cookies.is_empty()).then(|| {
            self.jar
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn keep_cookies(&mut self, response: &Response) {
        for (name, value) in &response.headers {
            if name != "set-cookie" {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                let (k, v) = (k.trim(), v.trim());
                let expired = value.contains("Max-Age=0");
                let before = if expired || v.is_empty() {
                    self.jar.cookies.remove(k)
                } else {
                    self.jar.cookies.insert(k.to_owned(), v.to_owned())
                };
                if before.as_deref() != Some(v) {
                    self.jar.csrf = None;
                }
            }
        }
        if let Some(csrf) = hidden_field(&response.text(), "csrf") {
            self.jar.csrf = Some(csrf);
        }
    }

    fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let mut request = self.server.request(method, path);
        if let Some(cookies) = self.cookie_header() {
            request = request.header("Cookie", &cookies);
        }
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let request = request.body(body);
        let response = match self.jar.source {
            Some(source) => request.send_from(source),
            None => request.send(),
        };
        self.keep_cookies(&response);
        response
    }

    pub fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, None, Vec::new())
    }

    /// Opens a page that shows a form (panics if it has no `csrf` field).
    #[track_caller]
    pub fn form(&mut self, path: &str) -> Response {
        let page = self.get(path);
        csrf_from(&page.text());
        page
    }

    /// Goes where a redirect sends, as a browser does.
    #[track_caller]
    pub fn follow(&mut self, redirect: &Response) -> Response {
        self.get(&location(redirect))
    }

    /// Sends `fields` as a form, with the client's CSRF value first.
    #[track_caller]
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.csrf();
        let mut pairs = vec![("csrf", csrf.as_str())];
        pairs.extend_from_slice(fields);
        self.post_form(path, &pairs)
    }

    /// Opens the page `page`, then sends its form to `action` with
    /// `fields` and the page's CSRF value.
    #[track_caller]
    pub fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        self.form(page);
        self.post(action, fields)
    }

    /// Sends `pairs` as a form, as they are (the caller gives the CSRF
    /// value, or not).
    pub fn post_form(&mut self, path: &str, pairs: &[(&str, &str)]) -> Response {
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            form_body(pairs).into_bytes(),
        )
    }

    pub fn post_multipart(&mut self, path: &str, parts: &[(&str, Part)]) -> Response {
        let boundary = "----concord-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, part) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            match part {
                Part::Text(value) => {
                    body.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")
                            .as_bytes(),
                    );
                    body.extend_from_slice(value.as_bytes());
                }
                Part::File {
                    name: file,
                    content_type,
                    bytes,
                } => {
                    body.extend_from_slice(
                        format!(
                            "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: {content_type}\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    body.extend_from_slice(bytes);
                }
            }
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            "POST",
            path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
        )
    }
}

/// The value of attribute `name` in a tag's text (`<input ...>`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape_html(&tag[start..end]))
}

fn has_flag(tag: &str, flag: &str) -> bool {
    tag.split(|c: char| c.is_whitespace() || c == '>')
        .any(|word| word == flag)
}

/// What a browser would send for the form whose `id` is given (or the
/// first form): hidden, text-like and checked inputs, selected options,
/// textareas; no button (the caller adds the one it "clicks").
#[track_caller]
pub fn form_fields(page: &str, id: Option<&str>) -> Vec<(String, String)> {
    let start = match id {
        Some(id) => page
            .find(&format!("id=\"{id}\""))
            .and_then(|at| page[..at].rfind("<form"))
            .unwrap_or_else(|| panic!("no form #{id} in {page}")),
        None => page.find("<form").expect("a form"),
    };
    let end = page[start..].find("</form>").expect("form end") + start;
    let form = &page[start..end];
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(open) = rest.find('<') {
        rest = &rest[open..];
        let close = rest.find('>').unwrap_or(rest.len() - 1);
        let tag = &rest[..=close];
        if tag.starts_with("<input") {
            let kind = attribute(tag, "type").unwrap_or_else(|| "text".into());
            let name = attribute(tag, "name");
            let value = attribute(tag, "value").unwrap_or_default();
            if let Some(name) = name {
                match kind.as_str() {
                    "checkbox" | "radio" if !has_flag(tag, "checked") => {}
                    "submit" | "button" | "file" => {}
                    _ => fields.push((name, value)),
                }
            }
        } else if tag.starts_with("<textarea") {
            let body_end = rest.find("</textarea>").expect("textarea end");
            if let Some(name) = attribute(tag, "name") {
                fields.push((name, unescape_html(&rest[close + 1..body_end])));
            }
        } else if tag.starts_with("<select") {
            let body_end = rest.find("</select>").expect("select end");
            let options = &rest[close + 1..body_end];
            let mut chosen = None;
            let mut first = None;
            for option in options.split("<option").skip(1) {
                let option_tag = &option[..option.find('>').unwrap_or(option.len())];
                let value = attribute(&format!(" {option_tag}"), "value").unwrap_or_default();
                first.get_or_insert(value.clone());
                if has_flag(option_tag, "selected") {
                    chosen = Some(value);
                }
            }
            if let (Some(name), Some(value)) = (attribute(tag, "name"), chosen.or(first)) {
                fields.push((name, value));
            }
        }
        rest = &rest[1..];
    }
    fields
}

/// Sets (or adds) a field of a scraped form.
pub fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// The fields as the pairs `post_form` takes.
pub fn as_pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
