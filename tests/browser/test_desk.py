"""The staff desk in a browser: an association comes forward on
/inscription and a staff session approves it on /gestion/inscriptions
(the activation link it shows then opens the password form), acknowledges a conflict,
every desk page passes the checks (375 and 1280 px, no sideways scroll,
axe-core), and the quarter prints to PDF in A4 and as an A5 booklet
(pages counted, paper size and text read with poppler's pdfinfo and
pdftotext)."""

import base64
import re
import subprocess
import urllib.request

from selenium.webdriver.common.by import By

from conftest import OUT, PASSWORD, Concord

HALL = """
[feeds]
territory_name = "Communauté de communes du Pays d'Arue"
[[venues]]
slug = "sdf-arue"
name = "Salle des fêtes"
commune = "arue"
"""


def put(server, login, name, summary, start, end, extra=""):
    body = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{name}\r\nDTSTAMP:20261101T120000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
        f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    token = base64.b64encode(f"{login}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"{server.url}/dav/calendars/{login}/main/{name}.ics", data=body.encode(), method="PUT",
        headers={"Authorization": f"Basic {token}", "Content-Type": "text/calendar"})
    urllib.request.urlopen(request).read()


def quarter_of_events(server):
    server.cli("organiser", "set", "asso-a", "--email", "comite@arue.example")
    server.cli("organiser", "set", "asso-b", "--email", "foot@bourriot.example",
               "--phone", "05 58 11 22 33")
    hall = "LOCATION:Salle des fêtes d'Arue\r\n"
    put(server, "asso-a", "loto", "Loto du comité", "20270115T190000Z", "20270115T230000Z",
        hall + "CATEGORIES:Fêtes et animations\r\n")
    put(server, "asso-b", "tournoi", "Tournoi en salle", "20270115T200000Z",
        "20270115T230000Z", hall + "CATEGORIES:Sport\r\n")
    put(server, "asso-b", "gym", "Gym douce", "20270105T173000Z", "20270105T190000Z",
        "RRULE:FREQ=WEEKLY;COUNT=10\r\nCATEGORIES:Sport\r\n")
    put(server, "asso-a", "bal", "Bal masqué", "20270220T200000Z", "20270220T230000Z",
        "STATUS:CANCELLED\r\n")
    for day in range(1, 28, 2):
        put(server, "asso-a", f"marche-{day}", f"Marché du {day} mars",
            f"202703{day:02d}T080000Z", f"202703{day:02d}T120000Z",
            "CATEGORIES:Fêtes et animations\r\nLOCATION:Place de Bourriot-Bergonce\r\n")


def pdf(page, path, name):
    """Prints the page at `path` with Chromium (CSS page size) to a PDF
    under target/browser; returns its pdfinfo and its text."""
    page.open(path)
    printed = page.driver.execute_cdp_cmd("Page.printToPDF", {
        "preferCSSPageSize": True, "printBackground": True, "displayHeaderFooter": False})
    target = OUT / f"{name}.pdf"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(printed["data"]))
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True,
                          check=True).stdout
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True,
                          text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    return int(fields["Pages"].strip()), fields["Page size"].strip(), text


def come_forward(page, base):
    """The association's side: the registration form, anonymous."""
    page.open(base + "/inscription")
    page.come_forward("Club de randonnée des Landes", "Marie Dupuy", "marie@rando.example")
    assert "Votre demande" in page.text(), page.text()


def approve_the_registration(page, base):
    """The desk's side: the home counts the waiting request, the
    registrations page approves it and shows the activation link once."""
    assert "1 Inscriptions en attente" in page.text(), page.text()
    page.open(base + "/gestion/inscriptions")
    assert "Demandes en attente (1)" in page.text()
    assert "marie@rando.example" in page.text()
    page.check("gestion-inscriptions")
    page.fill("identifiant-1", "rando-landes")
    page.submit("Accepter « Club de randonnée des Landes »")
    text = page.text().replace("\u202f", " ").replace("\xa0", " ")
    assert "Inscription acceptée : Club de randonnée des Landes" in text, text
    assert "rando-landes" in text
    assert "Aucune demande n'attend de décision." in text
    link = re.search(r"https?://\S+(/activation/[A-Za-z0-9_-]+)", text).group(1)
    page.check("gestion-inscription-acceptee")
    page.open(base + "/gestion/organisateurs/rando-landes")
    assert "Club de randonnée des Landes" in page.text()
    return link


def test_staff_approve_a_registration_acknowledge_a_conflict_and_print_the_quarter(page):
    server = Concord(HALL)
    try:
        quarter_of_events(server)
        base = server.url
        come_forward(page, base)
        page.sign_in(base, "staff")
        assert page.driver.current_url.endswith("/gestion/")
        assert "Conflits des 90 prochains jours à voir" in page.text()
        page.check("gestion-accueil")
        link = approve_the_registration(page, base)

        page.open(base + "/gestion/conflits?du=2027-01-01&au=2027-03-31")
        assert "Loto du comité" in page.text() and "Tournoi en salle" in page.text()
        assert "à voir" in page.text()
        page.check("gestion-conflits")
        page.submit("Marquer vu")
        assert "Le conflit est marqué vu." in page.text()
        assert "vu" in page.text()
        page.check("gestion-conflits-vu")
        page.open(base + "/gestion/conflits?du=2027-01-01&au=2027-03-31&vus=oui")
        assert "Remettre à voir" in page.text()

        for name, path in [
            ("gestion-moderation", "/gestion/moderation"),
            ("gestion-organisateurs", "/gestion/organisateurs"),
            ("gestion-organisateur", "/gestion/organisateurs/asso-a"),
            ("gestion-lieux", "/gestion/lieux?du=2027-01-01&au=2027-03-31"),
            ("gestion-agenda", "/gestion/agenda"),
            ("gestion-agenda-trimestre", "/gestion/agenda/2027-T1"),
            ("gestion-agenda-changements", "/gestion/agenda/2027-T1/changements"),
            ("gestion-indicateurs", "/gestion/indicateurs?trimestre=2027-T1"),
            ("gestion-journal", "/gestion/journal"),
            ("gestion-disponibilite",
             "/gestion/disponibilite?start=2027-01-15T20%3A30&venue=sdf-arue"),
            ("agenda-trimestre", "/agenda/trimestre/2027-T1"),
            ("agenda-trimestre-a4", "/agenda/trimestre/2027-T1/a4"),
            ("agenda-trimestre-a5", "/agenda/trimestre/2027-T1/a5"),
        ]:
            page.open(base + path)
            assert "Accès refusé" not in page.text(), path
            page.check(name)
        assert "Conflit marqué vu" in (page.open(base + "/gestion/journal").text())

        # Put the loto forward, then print.
        page.open(base + "/gestion/agenda/2027-T1")
        page.driver.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
        page.submit("Enregistrer")
        assert "La mise en avant et l'ordre sont enregistrés." in page.text()

        a4_pages, a4_size, a4_text = pdf(page, base + "/agenda/trimestre/2027-T1/a4", "agenda-a4")
        a5_pages, a5_size, a5_text = pdf(page, base + "/agenda/trimestre/2027-T1/a5", "agenda-a5")
        assert "(A4)" in a4_size, a4_size
        assert "(A5)" in a5_size, a5_size
        assert a4_pages >= 3, f"cover, events, index: {a4_pages} pages"
        assert a5_pages > a4_pages, f"A5 {a5_pages} pages, A4 {a4_pages}"
        for text in (" ".join(a4_text.split()), " ".join(a5_text.split())):
            for seen in ["Communauté de communes du Pays d'Arue", "1er trimestre 2027",
                         "janvier – mars 2027", "À la une", "Loto du comité",
                         "Tournoi en salle", "Rendez-vous réguliers", "Gym douce",
                         "ANNULÉ", "Bal masqué", "Les organisateurs", "foot@bourriot.example",
                         "Bourriot-Bergonce", "Sport"]:
                assert seen in text, f"{seen} missing from the PDF:\n{text}"
        # Page numbers: A4 "2 / N" at the foot of the second page; the
        # cover has none.
        first, second = a4_text.split("\f")[:2]
        assert re.search(rf"\b2\s*/\s*{a4_pages}\b", second), second
        assert not re.search(r"\b1\s*/\s*\d", first), first

        # The association opens the link the desk showed (signed out).
        page.open(base + "/gestion/")
        page.submit("Se déconnecter")
        page.open(base + link)
        assert page.driver.find_elements(By.ID, "mot-de-passe"), page.text()
    finally:
        server.stop()
