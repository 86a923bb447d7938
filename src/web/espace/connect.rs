//! Connecting a calendar app (`/espace/connecter`): this organiser's
//! exact addresses, steps for DAVx5, iOS/macOS, Thunderbird and Evolution,
//! a QR code of the DAV address, an Apple configuration profile
//! (`concord.mobileconfig`, without the password), and its own feed.

use super::super::agenda::feed_addresses;
use super::super::page::{self, Chrome};
use super::super::visit::Visit;
use crate::config::Config;
use crate::http::{self, Response};
use crate::paths;
use crate::store::accounts::Principal;
use crate::store::collections;
use crate::text::escape_markup;
use askama::Template;
use blake2::{Blake2s256, Digest};
use hyper::StatusCode;

struct Calendar {
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "espace/connect.html")]
struct ConnectPage {
    chrome: Chrome,
    login: String,
    server: String,
    dav: String,
    principal: String,
    calendars: Vec<Calendar>,
    main_calendar: String,
    apple_server: String,
    qr_svg: String,
    feed_webcal: String,
    feed_https: String,
    directory: String,
}

pub async fn page(visit: &Visit<'_>, user: &Principal) -> Response {
    let app = visit.app;
    let id = user.id;
    let found = app
        .store
        .read(move |conn| collections::children(conn, id, ""))
        .await;
    let Ok(found) = found else {
        return page::unavailable(visit, "Cette page");
    };
    let site = app.config.site();
    let login = &user.login;
    let calendars: Vec<Calendar> = found
        .into_iter()
        .filter(|c| c.is_calendar && !c.managed)
        .map(|c| Calendar {
            name: c.display_name.clone().unwrap_or_else(|| c.path.clone()),
            url: site.url(&paths::collection_href(login, &c.path)),
        })
        .collect();
    let main_calendar = calendars
        .first()
        .map(|c| c.url.clone())
        .unwrap_or_else(|| site.url(&paths::home_href(login)));
    let dav = site.url(paths::DAV_ROOT);
    let (feed_webcal, feed_https) = feed_addresses(app, &format!("/feeds/{login}.ics"));
    page::render(&ConnectPage {
        chrome: Chrome::new(visit, "Connecter une application d'agenda"),
        login: login.clone(),
        server: site.url("/"),
        principal: site.url(&paths::principal_href(login)),
        calendars,
        main_calendar,
        apple_server: site.server(),
        qr_svg: qr_svg(&dav),
        dav,
        feed_webcal,
        feed_https,
        directory: site.url(&format!("/associations#{login}")),
    })
}

/// The QR code of `text` as an inline SVG element, named for screen
/// readers (the address is also written beside it).
fn qr_svg(text: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"Code QR de l'adresse du serveur\" class=\"code-qr\" ",
        1,
    )
}

/// A UUID that stays the same for one account on one site, so that
/// installing the profile again replaces it instead of adding another.
fn stable_uuid(config: &Config, login: &str, purpose: &str) -> String {
    let mut hasher = Blake2s256::new();
    for part in [config.base_url.as_str(), login, purpose] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let mut bytes: [u8; 16] = hasher.finalize()[..16].try_into().unwrap_or([0; 16]);
    // RFC 9562 version 8 (custom), variant 10.
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The Apple configuration profile: one `com.apple.caldav.account`
/// payload with the host, port, TLS, principal and user name, and no
/// password (the device asks for it).
pub fn mobileconfig(visit: &Visit, user: &Principal) -> Response {
    let config = &visit.app.config;
    let site = config.site();
    let login = &user.login;
    let territory = &config.feeds.territory_name;
    let reversed: Vec<&str> = site.host.split('.').rev().collect();
    let identifier = match site.host.parse::<std::net::IpAddr>() {
        Ok(_) => format!("concord.{login}"),
        Err(_) => format!("{}.concord.{login}", reversed.join(".")),
    };
    let x = |text: &str| escape_markup(text).into_owned();
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>PayloadContent</key>
	<array>
		<dict>
			<key>CalDAVAccountDescription</key>
			<string>{description}</string>
			<key>CalDAVHostName</key>
			<string>{host}</string>
			<key>CalDAVPort</key>
			<integer>{port}</integer>
			<key>CalDAVPrincipalURL</key>
			<string>{principal}</string>
			<key>CalDAVUseSSL</key>
			<{ssl}/>
			<key>CalDAVUsername</key>
			<string>{login}</string>
			<key>PayloadDescription</key>
			<string>Compte CalDAV de {name}</string>
			<key>PayloadDisplayName</key>
			<string>{description}</string>
			<key>PayloadIdentifier</key>
			<string>{identifier}.caldav</string>
			<key>PayloadType</key>
			<string>com.apple.caldav.account</string>
			<key>PayloadUUID</key>
			<string>{account_uuid}</string>
			<key>PayloadVersion</key>
			<integer>1</integer>
		</dict>
	</array>
	<key>PayloadDescription</key>
	<string>Ajoute l'agenda de {name} ({territory}). Votre mot de passe vous sera demandé.</string>
	<key>PayloadDisplayName</key>
	<string>{description}</string>
	<key>PayloadIdentifier</key>
	<string>{identifier}</string>
	<key>PayloadRemovalDisallowed</key>
	<false/>
	<key>PayloadType</key>
	<string>Configuration</string>
	<key>PayloadUUID</key>
	<string>{profile_uuid}</string>
	<key>PayloadVersion</key>
	<integer>1</integer>
</dict>
</plist>
"#,
        description = x(&format!("{territory} – {}", user.display_name)),
        host = x(&site.host),
        port = site.port,
        principal = x(&site.url(&paths::principal_href(login))),
        ssl = if site.https { "true" } else { "false" },
        login = x(login),
        name = x(&user.display_name),
        territory = x(territory),
        identifier = x(&identifier),
        account_uuid = stable_uuid(config, login, "caldav account"),
        profile_uuid = stable_uuid(config, login, "profile"),
    );
    let mut response = http::response(StatusCode::OK, "application/x-apple-aspen-config", body);
    http::set_header(
        &mut response,
        "content-disposition",
        "attachment; filename=\"concord.mobileconfig\"",
    );
    http::set_header(&mut response, "cache-control", "no-cache, private");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_stable_and_distinct() {
        let config = Config::default();
        let a = stable_uuid(&config, "asso-a", "profile");
        assert_eq!(a, stable_uuid(&config, "asso-a", "profile"));
        assert_ne!(a, stable_uuid(&config, "asso-b", "profile"));
        assert_ne!(a, stable_uuid(&config, "asso-a", "caldav account"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }
}
