//! Outgoing e-mail through the SMTP server of `[mail]`: short French
//! plain-text messages (activation links, registration notices).
//!
//! lettre's SMTP client blocks: the command line sends directly, the
//! server from the blocking pool (`send_later`) without making the visitor
//! wait, so that how long a page takes tells nothing about the accounts a
//! message went to. A message that cannot be sent is logged; the person
//! can ask again, and staff can hand out links themselves. A task that
//! can try again later (the appointments' reminders) reads from
//! [`NotSent::permanent`] whether it is worth it.

use crate::app::App;
use crate::config::{Config, MailSecurity, MailSettings};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::SmtpTransport;
use lettre::Transport;
use std::sync::Arc;
use std::time::Duration;

/// How long one SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// A file sent with the text (an appointment's `.ics` invitation).
    pub attachment: Option<Attachment>,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub filename: String,
    /// E.g. `text/calendar; method=REQUEST; charset=utf-8`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Whether concord sends e-mail at all.
pub fn configured(config: &Config) -> bool {
    config.mail.is_some()
}

/// Why a message did not go.
#[derive(Debug)]
pub struct NotSent {
    pub reason: String,
    /// Trying again would not help: the message cannot be written (a bad
    /// address), or the mail server refused it for good (a 5xx answer:
    /// no such mailbox, refused content). Not permanent: the server was
    /// unreachable, timed out or said "try later" (4xx).
    pub permanent: bool,
}

impl std::fmt::Display for NotSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Sends one message and waits for the server's answer.
pub fn send(config: &Config, mail: &Mail) -> Result<(), NotSent> {
    let for_good = |reason| NotSent {
        reason,
        permanent: true,
    };
    let Some(settings) = &config.mail else {
        return Err(for_good("no [mail] server is configured".into()));
    };
    let message = build(config, settings, mail).map_err(for_good)?;
    let transport = transport(config, settings).map_err(|reason| NotSent {
        reason,
        permanent: false,
    })?;
    transport.send(&message).map(|_| ()).map_err(|e| NotSent {
        reason: format!("cannot send mail to {}: {e}", mail.to),
        permanent: e.is_permanent(),
    })
}

/// Sends from the blocking pool, without waiting; failures are logged.
pub fn send_later(app: &Arc<App>, mail: Mail) {
    if !configured(&app.config) {
        return;
    }
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(error) = send(&app.config, &mail) {
            tracing::warn!("{error}");
        }
    });
}

/// The host name of `base_url`: the domain the messages come from.
fn site_host(config: &Config) -> String {
    match config.site().host.trim_matches(['[', ']']) {
        "" => "localhost".into(),
        host => host.to_owned(),
    }
}

fn build(config: &Config, settings: &MailSettings, mail: &Mail) -> Result<Message, String> {
    let mailbox = |text: &str| {
        text.parse::<Mailbox>()
            .map_err(|e| format!("{text:?} is not an e-mail address ({e})"))
    };
    let mut builder = Message::builder()
        .from(mailbox(&settings.from)?)
        .to(mailbox(&mail.to)?)
        .subject(&mail.subject)
        .date(std::time::SystemTime::from(crate::clock::now()))
        .message_id(Some(format!(
            "<{}@{}>",
            crate::tokens::new_token(),
            site_host(config)
        )));
    if let Some(reply_to) = &settings.reply_to {
        builder = builder.reply_to(mailbox(reply_to)?);
    }
    let written = match &mail.attachment {
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone()),
        Some(file) => {
            let content_type = ContentType::parse(&file.content_type)
                .map_err(|e| format!("{:?}: {e}", file.content_type))?;
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(mail.body.clone()))
                    .singlepart(
                        lettre::message::Attachment::new(file.filename.clone())
                            .body(file.bytes.clone(), content_type),
                    ),
            )
        }
    };
    written.map_err(|e| format!("cannot write the message: {e}"))
}

fn transport(config: &Config, settings: &MailSettings) -> Result<SmtpTransport, String> {
    let host = settings.host.as_str();
    let refused = |e: lettre::transport::smtp::Error| format!("[mail] host {host:?}: {e}");
    let builder = match settings.security {
        MailSecurity::Tls => SmtpTransport::relay(host).map_err(refused)?,
        MailSecurity::Starttls => SmtpTransport::starttls_relay(host).map_err(refused)?,
        MailSecurity::None => SmtpTransport::builder_dangerous(host),
    };
    let mut builder = builder
        .port(settings.port)
        .timeout(Some(TIMEOUT))
        .hello_name(ClientId::Domain(site_host(config)));
    if let (Some(user), Some(password)) = (&settings.user, &settings.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_from_the_site_host() {
        let mut config = Config::default();
        for (base, host) in [
            ("https://agenda.cdc.example.fr", "agenda.cdc.example.fr"),
            ("http://127.0.0.1:5232/", "127.0.0.1"),
            ("https://agenda.example:8443/sub", "agenda.example"),
            ("http://[::1]:5232", "::1"),
        ] {
            config.base_url = base.into();
            assert_eq!(site_host(&config), host, "{base}");
        }
    }
}
