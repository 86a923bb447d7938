//! Deciding on registrations, for the command line today and the staff
//! desk tomorrow: approving one makes the organiser (or links it to an
//! existing account) and an activation link; rejecting one records why.
//! The messages the contact and staff receive are written here too, so
//! that every caller sends the same ones.
//!
//! Decisions run inside the caller's transaction (`in_transaction` for
//! the command line, `Store::write` for a page); mail goes after commit.

use crate::accounts::{self, STAFF_LINK_SECONDS};
use crate::config::Config;
use crate::mail::Mail;
use crate::store::accounts::{NewPrincipal, Profile, Role};
use crate::store::registrations::{self, Registration, Status};
use crate::store::{self as store, StoreError};
use rusqlite::Connection;

/// What staff decide besides "yes".
#[derive(Debug, Default, Clone)]
pub struct Approval {
    /// The new account's login, instead of one derived from the name.
    pub login: Option<String>,
    /// Attach the registration to this existing account instead of making
    /// one (a town hall already set up by hand, say).
    pub link_to: Option<String>,
}

#[derive(Debug)]
pub struct Approved {
    pub registration: Registration,
    pub login: String,
    /// False when linked to an existing account.
    pub created: bool,
    /// The activation link's token, to give out once.
    pub token: String,
    pub expires: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("no registration {0}")]
    NotFound(i64),
    #[error("registration {0} was already {1}")]
    AlreadyDecided(i64, &'static str),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for DecisionError {
    fn from(error: rusqlite::Error) -> Self {
        DecisionError::Store(error.into())
    }
}

fn pending(conn: &Connection, id: i64) -> Result<Registration, DecisionError> {
    let registration = registrations::get(conn, id)?.ok_or(DecisionError::NotFound(id))?;
    match registration.status {
        Status::Pending => Ok(registration),
        other => Err(DecisionError::AlreadyDecided(id, other.as_str())),
    }
}

/// Approves a pending registration. A new organiser gets the name, kind
/// and commune of the form, its contact details, categories and
/// description on its public card, a calendar, and `unknown_hash` as
/// password hash ([`accounts::unknown_password_hash`], made outside the
/// transaction: argon2 is slow) until it chooses one through the link.
/// A linked account keeps its card; only its empty fields are filled.
pub fn approve(
    conn: &Connection,
    id: i64,
    approval: &Approval,
    unknown_hash: &str,
) -> Result<Approved, DecisionError> {
    let registration = pending(conn, id)?;
    let form = &registration.form;
    let (principal, created) = match &approval.link_to {
        Some(login) => {
            let existing = store::accounts::by_login(conn, login)?.ok_or_else(|| {
                DecisionError::Refused(format!("no account with the login {login:?}"))
            })?;
            if existing.role != Role::Organiser {
                return Err(DecisionError::Refused(format!(
                    "{login} is not an organiser's account"
                )));
            }
            (existing, false)
        }
        None => {
            let login = match &approval.login {
                Some(login) => {
                    if let Some(refusal) = accounts::login_refusal(login) {
                        return Err(DecisionError::Refused(refusal));
                    }
                    login.clone()
                }
                None => accounts::derive_login(conn, &form.name)?,
            };
            let new = NewPrincipal {
                login: &login,
                display_name: form.name.trim(),
                kind: &form.kind,
                role: Role::Organiser,
                commune: form.commune.as_deref(),
                password_hash: unknown_hash,
            };
            let principal_id = accounts::create(conn, &new, true)?.ok_or_else(|| {
                DecisionError::Refused(format!("the login {login:?} is already taken"))
            })?;
            let principal = store::accounts::by_id(conn, principal_id)?
                .ok_or_else(|| DecisionError::Refused("the new account vanished".into()))?;
            (principal, true)
        }
    };
    let card = store::accounts::public_card(conn, &principal.login)?;
    let empty = |field: Option<&Option<String>>| {
        created || field.is_none_or(|v| v.as_deref().is_none_or(|v| v.trim().is_empty()))
    };
    let fill = |field: Option<&Option<String>>, value: &Option<String>| {
        value.clone().filter(|_| empty(field))
    };
    let profile = Profile {
        commune: fill(card.as_ref().map(|c| &c.commune), &form.commune),
        categories: (!form.categories.is_empty())
            .then(|| form.categories.clone())
            .filter(|_| empty(card.as_ref().map(|c| &c.categories))),
        email: fill(card.as_ref().map(|c| &c.email), &Some(form.email.clone())),
        phone: fill(card.as_ref().map(|c| &c.phone), &form.phone),
        description: fill(card.as_ref().map(|c| &c.description), &form.description),
        ..Profile::default()
    };
    store::accounts::update_profile(conn, &principal.login, &profile)?;
    if !registrations::mark_approved(conn, id, principal.id)? {
        return Err(DecisionError::AlreadyDecided(id, "decided"));
    }
    let (token, expires) = accounts::issue_link(conn, principal.id, STAFF_LINK_SECONDS)?;
    Ok(Approved {
        registration,
        login: principal.login,
        created,
        token,
        expires,
    })
}

/// Rejects a pending registration, keeping the reason (told to the
/// contact when mail is configured).
pub fn reject(conn: &Connection, id: i64, reason: &str) -> Result<Registration, DecisionError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DecisionError::Refused(
            "give the reason of the refusal".into(),
        ));
    }
    let registration = pending(conn, id)?;
    registrations::mark_rejected(conn, id, reason)?;
    Ok(registration)
}

/// A new link for an account whose password is forgotten; staff hand it
/// out. `None` when the login is unknown.
pub fn reset_link(conn: &Connection, login: &str) -> Result<Option<(String, i64)>, StoreError> {
    let Some(principal) = store::accounts::by_login(conn, login)? else {
        return Ok(None);
    };
    accounts::issue_link(conn, principal.id, STAFF_LINK_SECONDS).map(Some)
}

/// "12 décembre 2026 à 10 h" in the territory's zone.
pub fn french_instant(config: &Config, unix: i64) -> String {
    let tz = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
    crate::french::instant(tz, unix, false)
}

fn signature(config: &Config) -> String {
    format!(
        "\n-- \n{}\n{}\n",
        config.feeds.territory_name,
        config.base_url.trim_end_matches('/')
    )
}

/// The message that gives the contact its activation link.
pub fn approval_mail(config: &Config, approved: &Approved) -> Mail {
    let form = &approved.registration.form;
    let link = accounts::link_url(config, &approved.token);
    let body = format!(
        "Bonjour {contact},\n\n\
         L'inscription de « {name} » à l'agenda intercommunal est acceptée.\n\n\
         Votre identifiant : {login}\n\n\
         Choisissez votre mot de passe en ouvrant ce lien (il ne sert qu'une fois et reste valable jusqu'au {until}) :\n\
         {link}\n\n\
         Vous pourrez ensuite annoncer vos événements depuis votre espace, {base}/espace/, ou depuis votre application d'agenda (la page « Connecter une application » de votre espace explique comment).\n{signature}",
        contact = form.contact_name,
        name = form.name,
        login = approved.login,
        until = french_instant(config, approved.expires),
        base = config.base_url.trim_end_matches('/'),
        signature = signature(config),
    );
    Mail {
        to: form.email.clone(),
        subject: format!("Votre inscription à l'agenda : {}", form.name),
        body,
        ..Mail::default()
    }
}

/// The message that tells the contact its registration was refused.
pub fn rejection_mail(config: &Config, registration: &Registration, reason: &str) -> Mail {
    let form = &registration.form;
    let body = format!(
        "Bonjour {contact},\n\n\
         L'inscription de « {name} » à l'agenda intercommunal n'a pas été retenue, pour la raison suivante :\n\n\
         {reason}\n\n\
         Pour en parler, répondez à ce message ou contactez l'intercommunalité.\n{signature}",
        contact = form.contact_name,
        name = form.name,
        signature = signature(config),
    );
    Mail {
        to: form.email.clone(),
        subject: format!("Votre inscription à l'agenda : {}", form.name),
        body,
        ..Mail::default()
    }
}

/// The notice to staff of a new registration, when `[mail] staff_to` is set.
pub fn staff_notice(
    config: &Config,
    id: i64,
    form: &registrations::NewRegistration,
) -> Option<Mail> {
    let to = config.mail.as_ref()?.staff_to.clone()?;
    let body = format!(
        "Nouvelle inscription n° {id} : {name} ({kind}{commune})\n\
         Contact : {contact}, {email}{phone}\n\n\
         {description}\n\n\
         Pour l'accepter ou la refuser : {base}/gestion/inscriptions\n\
         (en ligne de commande : concord registrations approve {id}, ou reject {id} --reason \"...\")\n",
        base = config.base_url.trim_end_matches('/'),
        name = form.name,
        kind = accounts::kind_label(&form.kind),
        commune = form
            .commune
            .as_deref()
            .map(|c| format!(", {}", config.commune(c).map_or(c, |x| x.name.as_str())))
            .unwrap_or_default(),
        contact = form.contact_name,
        email = form.email,
        phone = form
            .phone
            .as_deref()
            .map(|p| format!(", {p}"))
            .unwrap_or_default(),
        description = form.description.as_deref().unwrap_or(""),
    );
    Some(Mail {
        to,
        subject: format!("Nouvelle inscription à l'agenda : {}", form.name),
        body,
        ..Mail::default()
    })
}

/// The message with a link asked for on "mot de passe oublié".
pub fn reset_mail(config: &Config, to: &str, login: &str, token: &str, expires: i64) -> Mail {
    let body = format!(
        "Bonjour,\n\n\
         Quelqu'un a demandé un nouveau mot de passe pour le compte « {login} » de l'agenda intercommunal.\n\n\
         Pour le choisir, ouvrez ce lien (il ne sert qu'une fois et reste valable jusqu'au {until}) :\n\
         {link}\n\n\
         Si ce n'est pas vous, ignorez ce message : votre mot de passe actuel reste valable.\n{signature}",
        until = french_instant(config, expires),
        link = accounts::link_url(config, token),
        signature = signature(config),
    );
    Mail {
        to: to.to_owned(),
        subject: "Nouveau mot de passe pour l'agenda".into(),
        body,
        ..Mail::default()
    }
}
