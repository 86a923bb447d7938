//! The desk's indicators against a dataset whose answers are known, over
//! real HTTP (read from each indicator's CSV, checked on the page too).

mod common;

use common::web::{values_of, WebClient};
use common::*;

const TERRITORY: &str = r#"
[agenda]
deadline_weeks = 4
[[communes]]
slug = "arue"
name = "Arue"
[[communes]]
slug = "bourriot"
name = "Bourriot-Bergonce"
[[categories]]
slug = "fete"
name = "Fêtes et animations"
[[categories]]
slug = "sport"
name = "Sport"
[[venues]]
slug = "sdf-arue"
name = "Salle des fêtes"
commune = "arue"
"#;

fn put(
    server: &Server,
    login: &str,
    name: &str,
    extra: &str,
    summary: &str,
    start: &str,
    end: &str,
) {
    let body = String::from_utf8(event(name, summary, start, end))
        .unwrap()
        .replace("SUMMARY:", &format!("{extra}SUMMARY:"));
    let response = server
        .as_user(
            login,
            "PUT",
            &format!("/dav/calendars/{login}/main/{name}.ics"),
        )
        .ics(body.as_bytes())
        .send();
    assert!(
        response.status == 201 || response.status == 204,
        "{response:?}"
    );
}

/// The rows of an indicator's CSV (header left out), as (label, numbers).
fn indicator(staff: &mut WebClient, name: &str) -> Vec<(String, Vec<i64>)> {
    let response = staff
        .get(&format!(
            "/gestion/indicateurs/{name}.csv?trimestre=2027-T1"
        ))
        .expect(200);
    assert!(response.body.starts_with("\u{feff}".as_bytes()));
    response
        .text()
        .trim_start_matches('\u{feff}')
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .skip(1)
        .map(|line| {
            let fields: Vec<String> = line
                .split(';')
                .map(|f| f.trim_matches('"').to_owned())
                .collect();
            let numbers = fields[1..].iter().map(|n| n.parse().unwrap()).collect();
            (fields[0].clone(), numbers)
        })
        .collect()
}

fn value(rows: &[(String, Vec<i64>)], label: &str) -> Vec<i64> {
    rows.iter()
        .find(|(l, _)| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} in {rows:?}"))
        .1
        .clone()
}

#[test]
fn indicators_give_the_known_answers() {
    let server = Server::start_with(TERRITORY);
    let out = cli_with_stdin(
        &server.config_path(),
        &[
            "organiser",
            "add",
            "asso-c",
            "--name",
            "Harmonie",
            "--commune",
            "arue",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert!(out.status.success());
    let fete = "CATEGORIES:Fêtes et animations\r\n";
    put(
        &server,
        "asso-a",
        "fete",
        fete,
        "Fête",
        "20270116T140000Z",
        "20270116T180000Z",
    );
    put(
        &server,
        "asso-a",
        "loto",
        &format!("{fete}LOCATION:Place de Bourriot-Bergonce\r\n"),
        "Loto",
        "20270213T190000Z",
        "20270213T220000Z",
    );
    put(
        &server,
        "asso-a",
        "gym",
        "CATEGORIES:Sport\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\n",
        "Gym",
        "20270105T173000Z",
        "20270105T190000Z",
    );
    put(
        &server,
        "asso-b",
        "match",
        "CATEGORIES:Sport\r\n",
        "Match",
        "20270120T140000Z",
        "20270120T160000Z",
    );
    let hall = "LOCATION:Salle des fêtes d'Arue\r\n";
    put(
        &server,
        "asso-a",
        "concert",
        hall,
        "Concert",
        "20270123T190000Z",
        "20270123T210000Z",
    );
    put(
        &server,
        "asso-b",
        "reunion",
        hall,
        "Réunion publique",
        "20270123T190000Z",
        "20270123T210000Z",
    );
    put(
        &server,
        "asso-b",
        "secret",
        "CLASS:PRIVATE\r\n",
        "Bureau",
        "20270125T190000Z",
        "20270125T210000Z",
    );
    put(
        &server,
        "asso-a",
        "bal",
        "STATUS:CANCELLED\r\n",
        "Bal",
        "20270220T190000Z",
        "20270220T210000Z",
    );
    for agent in ["DAVx5", "DAVx5", "Thunderbird"] {
        server
            .request("GET", "/feeds/intercommunal.ics")
            .header("User-Agent", agent)
            .send()
            .expect(200);
    }
    let mut staff = WebClient::signed_in(&server, "staff");

    // The conflict is shown, acknowledged, then avoided.
    let conflicts = indicator(&mut staff, "conflits");
    assert_eq!(value(&conflicts, "trouvés"), [1]);
    assert_eq!(value(&conflicts, "montrés"), [0]);
    let page = staff
        .get("/gestion/conflits?du=2027-01-01&au=2027-03-31")
        .expect(200)
        .text();
    let key = values_of(&page, "cle")[0].clone();
    staff
        .post("/gestion/conflits", &[("action", "vu"), ("cle", &key)])
        .expect(303);
    let conflicts = indicator(&mut staff, "conflits");
    assert_eq!(value(&conflicts, "trouvés"), [1]);
    assert_eq!(value(&conflicts, "marqués vus"), [1]);
    assert_eq!(value(&conflicts, "montrés"), [1]);
    assert_eq!(value(&conflicts, "évités"), [0]);
    put(
        &server,
        "asso-b",
        "reunion",
        hall,
        "Réunion publique",
        "20270124T190000Z",
        "20270124T210000Z",
    );
    let conflicts = indicator(&mut staff, "conflits");
    assert_eq!(value(&conflicts, "trouvés"), [0]);
    assert_eq!(value(&conflicts, "marqués vus"), [0]);
    assert_eq!(value(&conflicts, "évités"), [1]);

    let communes = indicator(&mut staff, "evenements-par-commune");
    assert_eq!(
        communes,
        vec![
            ("Arue".into(), vec![4]),
            ("Bourriot-Bergonce".into(), vec![2])
        ]
    );
    let categories = indicator(&mut staff, "evenements-par-categorie");
    assert_eq!(value(&categories, "Fêtes et animations"), [2]);
    assert_eq!(value(&categories, "Sport"), [2]);
    assert_eq!(value(&categories, "(sans catégorie)"), [2]);
    let organisers = indicator(&mut staff, "evenements-par-organisateur");
    assert_eq!(
        organisers,
        vec![
            ("Comité des fêtes d'Arue".into(), vec![4]),
            ("Football club de Bourriot".into(), vec![2])
        ]
    );
    let months = indicator(&mut staff, "evenements-par-mois");
    assert_eq!(months.len(), 12, "{months:?}");
    assert_eq!(months[0].0, "avril 2026");
    assert_eq!(value(&months, "janvier 2027"), [5]);
    assert_eq!(value(&months, "février 2027"), [2]);
    assert_eq!(value(&months, "mars 2027"), [1]);
    assert_eq!(value(&months, "décembre 2026"), [0]);
    let organisers_by_month = indicator(&mut staff, "nouveaux-organisateurs-par-mois");
    assert_eq!(value(&organisers_by_month, "novembre 2026"), [3]);
    assert_eq!(value(&organisers_by_month, "octobre 2026"), [0]);
    let by_quarter = indicator(&mut staff, "nouveaux-organisateurs-par-trimestre");
    assert_eq!(value(&by_quarter, "4e trimestre 2026"), [3]);
    assert_eq!(value(&by_quarter, "1er trimestre 2027"), [0]);
    // Deadline: 1 January 2027 less 4 weeks = 4 December 2026; every event
    // was stored on 28 November.
    let early = indicator(&mut staff, "anticipation");
    assert_eq!(
        value(
            &early,
            "8 semaines avant la remise (vendredi 9 octobre 2026)"
        ),
        [0, 0, 6]
    );
    assert_eq!(
        value(
            &early,
            "4 semaines avant la remise (vendredi 6 novembre 2026)"
        ),
        [0, 0, 6]
    );
    assert_eq!(
        value(&early, "à la remise (vendredi 4 décembre 2026)"),
        [100, 6, 6]
    );
    let feeds = indicator(&mut staff, "flux");
    assert_eq!(feeds.len(), 30);
    assert_eq!(
        value(&feeds, "28/11/2026"),
        [2, 3],
        "two subscribers, three requests"
    );
    assert_eq!(value(&feeds, "27/11/2026"), [0, 0]);

    let page = staff
        .get("/gestion/indicateurs?trimestre=2027-T1")
        .expect(200)
        .text();
    for seen in [
        "Indicateurs du 1er trimestre 2027",
        "<svg class=\"barres\"",
        "<th scope=\"row\">Arue</th><td class=\"nombre\">4</td>",
        "/gestion/indicateurs/evenements-par-commune.csv?trimestre=2027-T1",
    ] {
        assert!(page.contains(seen), "{seen}: {page}");
    }
    staff
        .get("/gestion/indicateurs?trimestre=2027-T9")
        .expect(400);
    staff.get("/gestion/indicateurs/inconnu.csv").expect(404);
}
