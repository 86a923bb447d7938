//! Subscriptions of organisers' calendars to external ICS feeds as the
//! pages show and change them: an organiser its own on its import page
//! (`/espace/importer`), staff any organiser's on its desk card
//! (`/gestion/organisateurs/{login}`). Both call these with a [`Place`]
//! (whose subscriptions, where the forms are, who acts); only the page
//! around the list, the form and the confirmation differs. Subscribing
//! goes through `crate::import::subscribe`, as `concord import add` does.

use super::fields::Errors;
use super::page;
use super::visit::Visit;
use crate::config::ImportSettings;
use crate::http::Response;
use crate::import::failure::FailureKind;
use crate::import::fetch::FetchError;
use crate::import::{self, schedule, NewSubscription, Refusal};
use crate::store::accounts::Principal;
use crate::store::audit;
use crate::store::subscriptions::{self, Subscription};
use hyper::{Method, StatusCode};
use serde::Deserialize;

/// Whose subscriptions a page shows, where its forms are, and who acts.
pub struct Place<'a> {
    pub owner: &'a Principal,
    /// The page the list and the form are on; the forms post under
    /// `{base}/abonnements/`, and come back to `{base}?...#abonnements`.
    pub base: String,
    /// The staff member acting for the owner (the desk): each change is
    /// recorded in the audit log with it.
    pub staff: Option<&'a Principal>,
}

impl Place<'_> {
    fn back(&self, query: &str) -> String {
        format!("{}?{query}#abonnements", self.base)
    }
}

/// The fields of the subscription form.
#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    pub adresse: String,
    #[serde(default)]
    pub nom: String,
    /// Minutes, one of [`interval_choices`].
    #[serde(default)]
    pub intervalle: String,
    /// "Publier dans l'agenda public": a checkbox, sent only when ticked.
    #[serde(default)]
    pub publier: Option<String>,
}

impl SubscribeForm {
    /// An empty form, polling at the default interval, published (as
    /// every mirror is unless told otherwise).
    pub fn empty(settings: &ImportSettings) -> SubscribeForm {
        SubscribeForm {
            adresse: String::new(),
            nom: String::new(),
            intervalle: settings.default_interval_minutes.to_string(),
            publier: Some("oui".into()),
        }
    }
}

/// One choice of the interval list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One subscription as the page lists it.
pub struct Item {
    pub id: i64,
    pub name: String,
    /// Where calendar apps find the mirror.
    pub collection_url: String,
    pub url: String,
    pub interval: String,
    pub published: bool,
    /// "samedi 28 novembre 2026 à 10 h 05, 5 événements", if ever.
    pub last_success: Option<String>,
    pub skipped: usize,
    /// The last failure in plain French, with its technical detail.
    pub error: Option<(String, String)>,
    pub failing_since: Option<String>,
    pub next: String,
}

/// The subscriptions part of a page.
pub struct Section {
    /// Where the forms post (see [`Place::base`]).
    pub base: String,
    /// Staff see the list on the organiser's behalf (the wording differs).
    pub staff: bool,
    pub form: SubscribeForm,
    pub errors: Errors,
    pub intervals: Vec<Choice>,
    pub items: Vec<Item>,
    /// What was just done (after a redirect), for the status line.
    pub notice: Option<String>,
}

/// Intervals offered, in minutes, kept within `[import]`'s bounds.
const INTERVALS: [u32; 8] = [15, 30, 60, 120, 180, 360, 720, 1440];

fn interval_choices(settings: &ImportSettings, chosen: &str) -> Vec<Choice> {
    let mut minutes: Vec<u32> = INTERVALS
        .into_iter()
        .filter(|m| (settings.min_interval_minutes..=settings.max_interval_minutes).contains(m))
        .collect();
    if !minutes.contains(&settings.default_interval_minutes) {
        minutes.push(settings.default_interval_minutes);
        minutes.sort_unstable();
    }
    minutes
        .into_iter()
        .map(|m| Choice {
            value: m.to_string(),
            label: interval_label(i64::from(m) * 60),
            selected: m.to_string() == chosen,
        })
        .collect()
}

/// "toutes les 15 minutes", "toutes les heures", "une fois par jour".
fn interval_label(seconds: i64) -> String {
    match seconds / 60 {
        1440 => "une fois par jour".into(),
        60 => "toutes les heures".into(),
        m if m % 60 == 0 => format!("toutes les {} heures", m / 60),
        m => format!("toutes les {m} minutes"),
    }
}

/// The section of the page for the place's owner: its subscriptions, the
/// form as given, its errors, and the notice the address asks for.
pub async fn section(
    visit: &Visit<'_>,
    place: &Place<'_>,
    form: SubscribeForm,
    errors: Errors,
) -> Result<Section, crate::store::StoreError> {
    let owner = place.owner.id;
    let list = visit
        .app
        .store
        .read(move |conn| subscriptions::of_owner(conn, owner))
        .await?;
    let settings = &visit.app.config.import;
    let notice = notice(visit, &list);
    Ok(Section {
        base: place.base.clone(),
        staff: place.staff.is_some(),
        intervals: interval_choices(settings, &form.intervalle),
        form,
        errors,
        items: list.iter().map(|s| item(visit, s)).collect(),
        notice,
    })
}

/// The status line after a redirect: `?abonnement=ID`, `?actualisation=ID`,
/// `?supprime=NAME`.
fn notice(visit: &Visit, list: &[Subscription]) -> Option<String> {
    let pairs = crate::params::pairs(&visit.request.query).ok()?;
    let (key, value) = pairs.into_iter().next()?;
    let named = |value: &str| {
        let id: i64 = value.parse().ok()?;
        list.iter().find(|s| s.id == id).map(display_name)
    };
    match key.as_str() {
        "abonnement" => Some(format!(
            "L'abonnement est enregistré dans l'agenda «\u{202f}{}\u{202f}»\u{202f}: ses événements arrivent dans quelques instants (rechargez la page pour voir le résultat).",
            named(&value)?
        )),
        "actualisation" => Some(format!(
            "La mise à jour de l'agenda «\u{202f}{}\u{202f}» est demandée\u{202f}: rechargez la page dans quelques instants pour voir le résultat.",
            named(&value)?
        )),
        "supprime" => Some(
            "L'abonnement est supprimé, avec l'agenda qui reprenait ses événements.".into(),
        ),
        _ => None,
    }
}

fn display_name(s: &Subscription) -> String {
    s.display_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| s.path.clone())
}

fn item(visit: &Visit, s: &Subscription) -> Item {
    let tz = visit.app.timezone;
    let when = |t: i64| crate::french::instant(tz, t, false);
    let events = match s.events {
        0 => "aucun événement".to_owned(),
        1 => "1 événement".to_owned(),
        n => format!("{n} événements"),
    };
    let interval = schedule::interval(&visit.app.config.import, s.every_seconds, s.feed_seconds);
    Item {
        id: s.id,
        name: display_name(s),
        collection_url: format!(
            "{}/dav/calendars/{}/{}/",
            visit.app.config.base_url.trim_end_matches('/'),
            s.login,
            s.path
        ),
        url: s.url.clone(),
        interval: interval_label(interval),
        published: s.published,
        last_success: s.last_success_at.map(|t| format!("{}, {events}", when(t))),
        skipped: s.skipped.len(),
        error: s
            .last_error
            .as_deref()
            .map(|e| (plain_error(s.last_error_kind.as_deref()), e.to_owned())),
        failing_since: s.failing_since.map(when),
        next: when(s.next_at),
    }
}

/// A subscription's last failure, said in plain French for the organiser
/// and staff from its recorded kind (`last_error_kind`; none for one
/// recorded before the kinds were: a general sentence).
pub fn plain_error(kind: Option<&str>) -> String {
    let Some(kind) = kind.and_then(FailureKind::from_code) else {
        return "La dernière mise à jour a échoué.".into();
    };
    match kind {
        FailureKind::Status(status) => {
            let code = status.as_u16();
            match code {
                401 | 403 => format!("Le site de l'agenda en refuse l'accès (erreur {code})\u{202f}: l'agenda n'est peut-être pas public, vérifiez qu'il est partagé publiquement."),
                404 | 410 => format!("L'agenda n'existe plus à cette adresse (erreur {code})\u{202f}: vérifiez le lien dans l'application qui le publie."),
                500..=599 => format!("Le site de l'agenda est en panne (erreur {code})\u{202f}; concord réessaiera plus tard."),
                _ => format!("Le site de l'agenda a répondu par une erreur (code {code})."),
            }
        }
        FailureKind::Html => "L'adresse renvoie une page web, pas un agenda\u{202f}: utilisez le lien d'export ou d'abonnement (.ics ou iCal) de l'agenda.".into(),
        FailureKind::NotICalendar => "Ce que renvoie l'adresse n'est pas un agenda au format iCalendar (.ics).".into(),
        FailureKind::Truncated => "L'agenda reçu était incomplet\u{202f}; concord réessaiera plus tard.".into(),
        FailureKind::Url => INVALID_URL.into(),
        FailureKind::Refused => "L'adresse mène à un serveur privé ou local, que concord n'interroge pas.".into(),
        FailureKind::Dns => "Le nom de domaine de l'adresse est introuvable\u{202f}: vérifiez l'adresse.".into(),
        FailureKind::Unreachable => "Le site de l'agenda ne répond pas\u{202f}; concord réessaiera plus tard.".into(),
        FailureKind::Tls => "La connexion sécurisée (https) avec le site de l'agenda a échoué.".into(),
        FailureKind::Redirects => "L'adresse renvoie vers d'autres adresses, sans fin ou sans destination.".into(),
        FailureKind::TooLarge => "L'agenda est trop volumineux pour être repris.".into(),
        FailureKind::Gzip => "Le site de l'agenda a envoyé des données compressées illisibles.".into(),
        FailureKind::Timeout => "Le site de l'agenda a mis trop de temps à répondre\u{202f}; concord réessaiera plus tard.".into(),
        FailureKind::Store => "Les événements n'ont pas pu être enregistrés\u{202f}; concord réessaiera plus tard.".into(),
    }
}

/// What a page does with a visit under `{base}/abonnements/`.
pub enum Answer {
    /// Done, or refused outright: the answer to give.
    Response(Response),
    /// The page again, with the subscription form as sent and its errors
    /// (422).
    Form(SubscribeForm, Errors),
    /// Asking to confirm a removal, on a page of the place's own.
    Confirm(Removal),
}

/// What the confirmation of a removal shows.
pub struct Removal {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// Where the forms are (see [`Place::base`]).
    pub base: String,
    pub staff: bool,
}

/// Addresses under `{base}/abonnements/`: `nouveau` (the form's target),
/// `{id}/supprimer` (a confirmation, then the removal), `{id}/actualiser`.
pub async fn handle(visit: &Visit<'_>, place: &Place<'_>, rest: &str) -> Answer {
    let post = visit.request.method == Method::POST;
    if rest == "nouveau" && post {
        return subscribe(visit, place).await;
    }
    let not_found = || Answer::Response(page::not_found(visit));
    let Some((id, action)) = rest.split_once('/') else {
        return not_found();
    };
    let Some(subscription) = owned(visit, place.owner, id).await else {
        return not_found();
    };
    Answer::Response(match (action, post) {
        ("supprimer", false) => {
            return Answer::Confirm(Removal {
                id: subscription.id,
                name: display_name(&subscription),
                url: subscription.url.clone(),
                base: place.base.clone(),
                staff: place.staff.is_some(),
            })
        }
        ("supprimer", true) => remove(visit, place, subscription).await,
        ("actualiser", true) => refresh(visit, place, subscription).await,
        _ => page::not_found(visit),
    })
}

/// Subscription `id` if it is `owner`'s: another organiser's is as absent
/// as one that does not exist.
async fn owned(visit: &Visit<'_>, owner: &Principal, id: &str) -> Option<Subscription> {
    let id: i64 = id.parse().ok()?;
    let found = visit
        .app
        .store
        .read(move |conn| subscriptions::get(conn, id))
        .await;
    match found {
        Ok(found) => found.filter(|s| s.owner_id == owner.id),
        Err(error) => {
            tracing::error!("cannot read subscription {id}: {error}");
            None
        }
    }
}

/// Records, for the desk, what staff did to a subscription.
fn record(
    tx: &rusqlite::Connection,
    staff: Option<&str>,
    action: &str,
    subscription: &Subscription,
) -> Result<(), crate::store::StoreError> {
    match staff {
        Some(actor) => audit::record(
            tx,
            actor,
            action,
            &format!("{}/{}", subscription.login, subscription.path),
            &subscription.url,
            "",
        ),
        None => Ok(()),
    }
}

async fn subscribe(visit: &Visit<'_>, place: &Place<'_>) -> Answer {
    let settings = &visit.app.config.import;
    let form: SubscribeForm = match super::form::parse(visit) {
        Ok(form) => form,
        Err(message) => {
            return Answer::Response(page::error(visit, StatusCode::BAD_REQUEST, &message))
        }
    };
    let mut errors = Errors::default();
    let url = form.adresse.trim().to_owned();
    let name = form.nom.trim().to_owned();
    let every = form.intervalle.trim().parse::<u32>().ok().filter(|m| {
        interval_choices(settings, "")
            .iter()
            .any(|c| c.value == m.to_string())
    });
    if every.is_none() {
        errors.add(
            "intervalle",
            "Choisissez la fréquence des mises à jour dans la liste.",
        );
    }
    if url.is_empty() {
        errors.add(
            "adresse",
            "Indiquez l'adresse de l'agenda (elle commence par https://, http:// ou webcal://).",
        );
    } else if let Err(refusal) = import::check_address(&visit.app.config, &url).await {
        let (field, message) = refusal_in_french(&refusal, place.staff.is_some());
        errors.add(field, message);
    }
    if !errors.is_empty() {
        return Answer::Form(form, errors);
    }
    let owner = place.owner.clone();
    let staff = place.staff.map(|s| s.login.clone());
    let (config, url2, name2) = (visit.app.config.clone(), url, name);
    let every_seconds = every.map(|m| i64::from(m) * 60);
    let published = form.publier.is_some();
    let created = visit
        .app
        .store
        .write(move |tx| {
            let created = import::subscribe(
                tx,
                &config,
                &NewSubscription {
                    owner: &owner,
                    url: &url2,
                    name: (!name2.is_empty()).then_some(name2.as_str()),
                    every_seconds,
                    published,
                    fetched_by_caller: false,
                },
            )?;
            if let Ok(id) = created {
                if let Some(subscription) = subscriptions::get(tx, id)? {
                    record(tx, staff.as_deref(), "subscription-add", &subscription)?;
                }
            }
            Ok(created)
        })
        .await;
    match created {
        Ok(Ok(id)) => {
            // Due at once: the polling loop fetches it now.
            visit.app.imports.wake();
            Answer::Response(page::see_other(&place.back(&format!("abonnement={id}"))))
        }
        Ok(Err(refusal)) => {
            let (field, message) = refusal_in_french(&refusal, place.staff.is_some());
            errors.add(field, message);
            Answer::Form(form, errors)
        }
        Err(error) => {
            tracing::error!("cannot record a subscription: {error}");
            Answer::Response(page::unavailable(visit, "L'abonnement"))
        }
    }
}

/// A refusal of `import::check_address` or `import::subscribe`, in
/// French, with the field it is about; `staff` speak of the organiser
/// rather than to it.
fn refusal_in_french(refusal: &Refusal, staff: bool) -> (&'static str, String) {
    let (follows, has) = if staff {
        ("L'organisateur suit", "L'organisateur a")
    } else {
        ("Vous suivez", "Vous avez")
    };
    match refusal {
        Refusal::Url(_) | Refusal::NotOrganiser(_) => ("adresse", INVALID_URL.into()),
        Refusal::Address(error) => ("adresse", address_refusal(error)),
        Refusal::AlreadySubscribed { path, .. } => (
            "adresse",
            format!("{follows} déjà cette adresse, dans l'agenda «\u{202f}{path}\u{202f}»."),
        ),
        Refusal::Interval(_) => (
            "intervalle",
            "Choisissez la fréquence des mises à jour dans la liste.".into(),
        ),
        Refusal::Name(_) => (
            "nom-agenda",
            "Le nom de l'agenda s'écrit avec 2 à 64 lettres minuscules sans accent, chiffres, «\u{202f}-\u{202f}» ou «\u{202f}_\u{202f}» (exemple\u{202f}: matchs-du-club).".into(),
        ),
        Refusal::NameTaken { name, .. } => (
            "nom-agenda",
            format!("{has} déjà un agenda nommé «\u{202f}{name}\u{202f}»\u{202f}: choisissez un autre nom."),
        ),
    }
}

const INVALID_URL: &str = "Cette adresse n'est pas valide\u{202f}: elle doit commencer par https://, http:// ou webcal:// (exemple\u{202f}: https://www.exemple.fr/agenda.ics).";

/// Why an address cannot be fetched, in French, for the address field.
fn address_refusal(error: &FetchError) -> String {
    match error {
        FetchError::Url(_) => INVALID_URL.into(),
        FetchError::Refused(_) => "Cette adresse mène à un serveur privé ou local\u{202f}: seuls les agendas publiés sur internet peuvent être suivis.".into(),
        FetchError::Dns { host, .. } => format!("Le nom de domaine «\u{202f}{host}\u{202f}» est introuvable\u{202f}: vérifiez l'adresse."),
        other => format!("Cette adresse ne peut pas être vérifiée pour le moment ({other})."),
    }
}

async fn remove(visit: &Visit<'_>, place: &Place<'_>, subscription: Subscription) -> Response {
    let staff = place.staff.map(|s| s.login.clone());
    let done = visit
        .app
        .store
        .write(move |tx| {
            subscriptions::remove(tx, &subscription)?;
            record(tx, staff.as_deref(), "subscription-remove", &subscription)
        })
        .await;
    match done {
        Ok(()) => page::see_other(&place.back("supprime=1")),
        Err(error) => {
            tracing::error!("cannot remove a subscription: {error}");
            page::unavailable(visit, "La suppression")
        }
    }
}

async fn refresh(visit: &Visit<'_>, place: &Place<'_>, subscription: Subscription) -> Response {
    let id = subscription.id;
    let staff = place.staff.map(|s| s.login.clone());
    let done = visit
        .app
        .store
        .write(move |tx| {
            subscriptions::due_now(tx, id)?;
            record(tx, staff.as_deref(), "subscription-refresh", &subscription)
        })
        .await;
    match done {
        Ok(()) => {
            visit.app.imports.wake();
            page::see_other(&place.back(&format!("actualisation={id}")))
        }
        Err(error) => {
            tracing::error!("cannot schedule subscription {id}: {error}");
            page::unavailable(visit, "La mise à jour")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::StatusCode as S;

    /// Every way a fetch or a feed fails has its own French sentence,
    /// found from the kind recorded with it.
    #[test]
    fn every_failure_is_said_in_french() {
        let fallback = plain_error(None);
        assert_eq!(plain_error(Some("a kind of a later version")), fallback);
        let target = "https://a.example/x.ics".to_owned();
        let failures = [
            FetchError::Url("ftp://a.example".into()),
            FetchError::Refused("10.0.0.1 is a private address".into()),
            FetchError::Dns {
                host: "a.example".into(),
                detail: "no".into(),
            },
            FetchError::Connect {
                target: target.clone(),
                detail: "refused".into(),
            },
            FetchError::Tls {
                host: "a.example".into(),
                detail: "bad".into(),
            },
            FetchError::Http {
                target: target.clone(),
                detail: "eof".into(),
            },
            FetchError::Status {
                target: target.clone(),
                status: S::NOT_FOUND,
            },
            FetchError::Status {
                target: target.clone(),
                status: S::FORBIDDEN,
            },
            FetchError::Status {
                target: target.clone(),
                status: S::BAD_GATEWAY,
            },
            FetchError::NoLocation { target },
            FetchError::TooManyRedirects,
            FetchError::TooLarge { limit: 10 },
            FetchError::Gzip("bad".into()),
            FetchError::Timeout { seconds: 30 },
        ];
        let mut said = std::collections::HashSet::new();
        for failure in failures {
            let code = failure.failure().kind.code();
            let french = plain_error(Some(&code));
            assert_ne!(french, fallback, "{failure}");
            said.insert(french);
        }
        assert!(said.iter().any(|s| s.contains("erreur 404")));
        assert!(said.iter().any(|s| s.contains("erreur 502")));
        let html = crate::import::split::split(b"<!DOCTYPE html><html></html>").unwrap_err();
        assert!(
            plain_error(Some(&html.kind.code())).contains("page web"),
            "{html}"
        );
        let store = FailureKind::Store.code();
        assert!(plain_error(Some(&store)).contains("enregistrés"));
    }

    #[test]
    fn intervals_stay_within_the_bounds() {
        let mut settings = ImportSettings::default();
        let values = |s: &ImportSettings| {
            interval_choices(s, "60")
                .into_iter()
                .map(|c| c.value)
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&settings).first().map(String::as_str), Some("15"));
        assert_eq!(values(&settings).last().map(String::as_str), Some("1440"));
        settings.min_interval_minutes = 30;
        settings.max_interval_minutes = 120;
        assert_eq!(values(&settings), vec!["30", "60", "120"]);
        assert_eq!(interval_label(3600), "toutes les heures");
        assert_eq!(interval_label(900), "toutes les 15 minutes");
        assert_eq!(interval_label(7200), "toutes les 2 heures");
        assert_eq!(interval_label(86_400), "une fois par jour");
    }
}
