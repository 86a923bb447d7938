"""The residents' side in a browser: the agenda with a search, an event
page, the services page, and the widget framed by a commune's page (served
from another local address, as a website would have it), at 375 and
1280 px with axe-core."""

import base64
import functools
import http.server
import threading
import urllib.request

from selenium.webdriver.common.by import By

PASSWORD = "correct-horse-battery"


def put(concord, login, name, body):
    request = urllib.request.Request(
        f"{concord.url}/dav/calendars/{login}/main/{name}.ics", data=body.encode(), method="PUT",
        headers={"Content-Type": "text/calendar; charset=utf-8",
                 "Authorization": "Basic " + base64.b64encode(f"{login}:{PASSWORD}".encode()).decode()})
    with urllib.request.urlopen(request) as answer:
        assert answer.status in (201, 204)


def event(uid, summary, start, end, extra=""):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n{extra}"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def seed(concord):
    concord.cli("organiser", "set", "asso-a", "--email", "contact@comite-arue.fr",
                "--phone", "05 56 00 00 00")
    concord.cli("organiser", "set", "asso-b", "--kind", "service", "--phone", "05 57 11 22 33")
    put(concord, "asso-a", "loto", event(
        "loto", "Grand loto de la Saint-Nicolas", "20261129T193000Z", "20261129T220000Z",
        "LOCATION:Salle des fêtes d'Arue\r\nCATEGORIES:Fête\r\n"
        "DESCRIPTION:Nombreux lots. Inscriptions : https://example.org/loto\\nBuvette.\r\n"))
    put(concord, "asso-b", "permanence", event(
        "fs", "Permanence France services", "20261201T083000Z", "20261201T110000Z",
        "RRULE:FREQ=WEEKLY\r\nLOCATION:Mairie de Bourriot\r\n"))


def test_agenda_event_services_and_widget(concord, page, tmp_path):
    seed(concord)
    page.open(concord.url + "/")
    assert "Grand loto" in page.text()
    page.check("agenda-semaine")
    page.fill("q", "saint nicolas")
    page.submit("Afficher")
    assert "q=saint+nicolas" in page.driver.current_url
    assert "Grand loto" in page.text()
    page.check("agenda-recherche")
    page.follow(page.driver.find_element(By.LINK_TEXT, "Grand loto de la Saint-Nicolas"))
    assert "/evenements/loto" in page.driver.current_url
    assert "Dimanche 29 novembre 2026, de 20 h 30 à 23 h" in page.text()
    page.check("evenement")
    page.open(concord.url + "/agenda/texte")
    page.check("agenda-texte")
    page.open(concord.url + "/services")
    assert "Prochaine permanence" in page.text()
    page.check("services")
    page.open(concord.url + "/partager?commune=arue")
    page.check("partager")
    # A commune's page framing the widget, on a site of its own.
    (tmp_path / "commune.html").write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Mairie d\'Arue</title></head><body><main><h1>Mairie d\'Arue</h1>'
        f'<iframe src="{concord.url}/widget?commune=arue&limite=5" title="Agenda : prochains événements"'
        ' style="border:0;width:100%;height:420px"></iframe></main></body></html>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    site = http.server.ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        page.open(f"http://127.0.0.2:{site.server_address[1]}/commune.html")
        frame = page.driver.find_element(By.TAG_NAME, "iframe")
        page.driver.switch_to.frame(frame)
        assert "Grand loto" in page.text()
        page.driver.switch_to.default_content()
        page.check("widget-dans-un-site")
    finally:
        site.shutdown()
    page.open(concord.url + "/widget?commune=arue&limite=5&couleur=7b1fa2&taille=18")
    page.check("widget")
