"""Following a calendar kept elsewhere (issue 13) in a browser: an
address on a private network is refused beside its field; with private
addresses allowed (the feed server of this test is on 127.0.0.1), an
organiser subscribes one of its calendars to a feed, sees it mirrored
with its state, and removes it after confirming; staff do the same from
the organiser's desk card, leaving the mirror unpublished. Each page at
375 and 1280 px under axe-core."""

import http.server
import pathlib
import threading
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import Concord

FEED = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "ics" / "feeds" / "google.ics"


@pytest.fixture
def concord_private():
    """A server that may fetch feeds from the loopback."""
    server = Concord("[import]\nallow_private = true\n")
    yield server
    server.stop()


@pytest.fixture
def feed():
    """A feed server on 127.0.0.1 answering /club.ics; yields its base URL."""
    body = FEED.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/club.ics":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_private_address_is_refused_beside_its_field(concord, page):
    page.sign_in(concord.url, "asso-a")
    page.open(concord.url + "/espace/importer")
    assert "Vous ne suivez encore aucun agenda." in page.text()
    page.check("abonnements-vide")
    page.fill("adresse", "http://192.168.1.10/agenda.ics")
    page.submit("S'abonner")
    field = page.driver.find_element(By.ID, "adresse")
    assert field.get_attribute("aria-invalid") == "true"
    error = page.driver.find_element(By.ID, "adresse-erreur").text
    assert "serveur privé ou local" in error
    assert "Le formulaire contient 1 erreur" in page.text()
    assert field.get_attribute("value") == "http://192.168.1.10/agenda.ics"
    page.check("abonnement-erreur")


def test_an_organiser_follows_a_feed_then_removes_it(concord_private, feed, page):
    base = concord_private.url
    page.sign_in(base, "asso-a")
    page.open(base + "/espace/importer")
    page.fill("adresse", feed + "/club.ics")
    page.fill("nom-agenda", "club")
    Select(page.driver.find_element(By.ID, "intervalle")).select_by_visible_text(
        "toutes les 30 minutes")
    page.submit("S'abonner")
    assert "L'abonnement est enregistré" in page.text()
    # The server fetches the feed by itself, at once.
    deadline = time.monotonic() + 15
    while "5 événements" not in page.text():
        assert time.monotonic() < deadline, page.text()
        time.sleep(0.3)
        page.open(base + "/espace/importer")
    text = page.text()
    assert "toutes les 30 minutes" in text
    assert "/dav/calendars/asso-a/club/" in text
    assert "Dernière erreur" not in text
    page.check("abonnements-liste")
    page.follow(page.driver.find_element(By.PARTIAL_LINK_TEXT, "Supprimer l'abonnement"))
    assert "Voulez-vous vraiment supprimer l'abonnement" in page.text()
    page.check("abonnement-supprimer")
    page.submit("Supprimer l'abonnement")
    assert "L'abonnement est supprimé" in page.text()
    assert "Vous ne suivez encore aucun agenda." in page.text()


def test_staff_follow_a_feed_for_an_organiser_from_its_card(concord_private, feed, page):
    base = concord_private.url
    page.sign_in(base, "staff")
    page.open(base + "/gestion/organisateurs/asso-a")
    assert "Aucun agenda importé pour l'instant." in page.text()
    box = page.driver.find_element(By.ID, "publier")
    assert box.is_selected()
    page.fill("adresse", feed + "/club.ics")
    page.fill("nom-agenda", "club")
    box.click()
    page.submit("Ajouter l'abonnement")
    assert "L'abonnement est enregistré" in page.text()
    deadline = time.monotonic() + 15
    while "5 événements" not in page.text():
        assert time.monotonic() < deadline, page.text()
        time.sleep(0.3)
        page.open(base + "/gestion/organisateurs/asso-a")
    text = page.text()
    assert "toutes les heures (non publié)" in text
    assert "Dernière erreur" not in text
    page.check("gestion-organisateur-abonnements")
    page.submit("Actualiser maintenant")
    assert "La mise à jour de l'agenda" in page.text()
    page.follow(page.driver.find_element(By.CSS_SELECTOR, "#abonnements ~ ul a[href$='/supprimer']"))
    assert "Voulez-vous vraiment supprimer l'abonnement" in page.text()
    page.check("gestion-abonnement-supprimer")
    page.submit("Supprimer l'abonnement")
    assert "L'abonnement est supprimé" in page.text()
    assert "Aucun agenda importé pour l'instant." in page.text()
    page.open(base + "/gestion/journal")
    text = page.text()
    for label in ["Agenda importé ajouté", "Agenda importé actualisé", "Agenda importé supprimé"]:
        assert label in text, label
