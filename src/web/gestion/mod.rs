//! The staff desk (`/gestion/`): what needs attention, moderation,
//! conflicts, organisers, venues, indicators, the audit log and the
//! quarterly agenda's exports. Staff and administrators only: organisers
//! get 403, anonymous visitors the sign-in page, on every address and form.
//!
//! Every action a form takes is recorded in the audit log
//! (`store::audit`) in the same transaction as the change itself.
// Guards and readers return the error page itself (`Err(Response)`): it
// is built once per refused visit, so its size does not matter.
#![allow(clippy::result_large_err)]

mod agenda;
mod conflicts;
mod home;
mod indicators;
mod journal;
mod moderation;
mod organisers;
mod registrations;
mod venues;

use super::page;
use super::visit::{self, Visit};
use crate::http::Response;
use crate::store::accounts::Principal;
use hyper::StatusCode;

/// The signed-in staff member, or the answer to give: the sign-in page
/// for anonymous visitors, 403 for organisers.
pub fn staff<'v>(visit: &'v Visit) -> Result<&'v Principal, Response> {
    match visit.user() {
        None => Err(visit::sign_in_first(&super::espace::path_and_query(visit))),
        Some(user) if !user.role.reads_everything() => Err(page::error(
            visit,
            StatusCode::FORBIDDEN,
            "La gestion est réservée au personnel de l'intercommunalité\u{202f}; les organisateurs ont leur espace.",
        )),
        Some(user) => Ok(user),
    }
}

pub async fn handle(visit: &Visit<'_>) -> Response {
    let user = match staff(visit) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let path = visit.request.path.as_str();
    let rest = path
        .strip_prefix("/gestion")
        .unwrap_or("")
        .trim_start_matches('/');
    let (section, tail) = rest.split_once('/').unwrap_or((rest, ""));
    match section {
        "" => home::page(visit).await,
        "moderation" if tail.is_empty() => moderation::handle(visit, user).await,
        "conflits" if tail.is_empty() => conflicts::handle(visit, user).await,
        "conflits.csv" if tail.is_empty() => conflicts::csv(visit).await,
        "disponibilite" if tail.is_empty() => conflicts::availability(visit).await,
        "organisateurs" => organisers::handle(visit, user, tail).await,
        "lieux" if tail.is_empty() => venues::handle(visit, user).await,
        "indicateurs" => indicators::handle(visit, tail).await,
        "journal" if tail.is_empty() => journal::page(visit).await,
        "agenda" => agenda::handle(visit, user, tail).await,
        "inscriptions" if tail.is_empty() => registrations::handle(visit, user).await,
        _ => page::not_found(visit),
    }
}

/// The desk's own navigation and the message after a form (`?fait=`).
pub struct Nav {
    pub current: &'static str,
    pub notice: Option<&'static str>,
}

/// The desk's sections, in the navigation's order.
pub const SECTIONS: &[(&str, &str)] = &[
    ("/gestion/", "Accueil"),
    ("/gestion/inscriptions", "Inscriptions"),
    ("/gestion/moderation", "Modération"),
    ("/gestion/conflits", "Conflits"),
    ("/gestion/organisateurs", "Organisateurs"),
    ("/gestion/lieux", "Lieux"),
    ("/gestion/agenda", "Agenda trimestriel"),
    ("/gestion/indicateurs", "Indicateurs"),
    ("/gestion/journal", "Journal"),
];

/// What a form did, told on the page it sends back to (`?fait=CODE`):
/// fixed texts, so that an address cannot make the desk say anything.
const NOTICES: &[(&str, &str)] = &[
    ("valide", "L'événement est validé\u{202f}: le public voit sa version actuelle."),
    ("masque", "L'événement est masqué du public\u{202f}; son organisateur voit la raison."),
    ("retabli", "L'événement est de nouveau public."),
    ("vu", "Le conflit est marqué vu."),
    ("a-voir", "Le conflit est de nouveau à voir."),
    ("fiche", "La fiche publique est enregistrée."),
    ("desactive", "L'organisateur est désactivé\u{202f}: ses événements ne sont plus publics et il ne peut plus se connecter."),
    ("active", "L'organisateur est réactivé."),
    ("politique", "La modération de l'organisateur est enregistrée."),
    ("publie", "L'agenda est publié."),
    ("retire", "L'agenda est retiré de l'agenda public."),
    ("lieu", "Le lieu est ajouté."),
    ("alias", "L'autre nom du lieu est ajouté."),
    ("marques", "La mise en avant et l'ordre sont enregistrés."),
    ("refuse", "La demande est refusée\u{202f}; avec le courriel configuré, la personne a reçu la raison."),
];

impl Nav {
    pub fn new(visit: &Visit, current: &'static str) -> Nav {
        let notice = crate::params::pairs(&visit.request.query)
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| k == "fait")
            .and_then(|(_, code)| NOTICES.iter().find(|(c, _)| *c == code))
            .map(|(_, text)| *text);
        Nav { current, notice }
    }

    pub fn sections(&self) -> &'static [(&'static str, &'static str)] {
        SECTIONS
    }
}

/// A form body that could not be read, or a value it must not have: 400
/// in French.
pub fn bad_form(visit: &Visit, message: &str) -> Response {
    page::error(visit, StatusCode::BAD_REQUEST, message)
}

/// A CSV file for spreadsheets as French users open them: UTF-8 with a
/// byte-order mark (else Excel reads Windows-1252), `;` between fields
/// (`,` is the decimal separator), every field quoted, CRLF lines.
pub fn csv_file(filename: &str, rows: &[Vec<String>]) -> Response {
    let mut out = String::from("\u{feff}");
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
            .collect();
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    }
    download(filename, "text/csv; charset=utf-8", out.into_bytes())
}

/// A file to save rather than a page to read.
pub fn download(filename: &str, content_type: &str, body: Vec<u8>) -> Response {
    let mut response = crate::http::response(StatusCode::OK, content_type, body);
    crate::http::set_header(
        &mut response,
        "content-disposition",
        &format!("attachment; filename=\"{filename}\""),
    );
    crate::http::set_header(&mut response, "cache-control", "no-cache, private");
    response
}
