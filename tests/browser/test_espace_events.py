"""An organiser's events in a browser: the home of its space, the event
form (checking the date, saving a weekly event), editing, the delete
confirmation, importing a file; each page at 375 and 1280 px under
axe-core. The weekly event then shows on the public agenda."""

import pathlib

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "ics" / "google-event.ics"


def set_value(page, field_id, value):
    """Date and time fields take their value as a browser stores it
    (typing into them depends on the browser's locale)."""
    field = page.driver.find_element(By.ID, field_id)
    page.driver.execute_script("arguments[0].value = arguments[1]", field, value)


def test_an_organiser_makes_a_weekly_event_and_the_public_sees_it(concord, page):
    page.sign_in(concord.url, "asso-a")
    page.open(concord.url + "/espace/")
    page.check("espace-vide")
    page.follow(page.driver.find_element(By.LINK_TEXT, "Nouvel événement"))
    assert "/espace/evenements/nouveau" in page.driver.current_url
    page.check("evenement-nouveau")
    page.fill("titre", "Entraînement des jeunes")
    set_value(page, "date", "2026-12-05")
    set_value(page, "heure_debut", "10:00")
    set_value(page, "heure_fin", "11:30")
    page.fill("lieu", "Stade municipal, Arue")
    Select(page.driver.find_element(By.ID, "repetition")).select_by_value("hebdomadaire")
    page.driver.find_element(By.ID, "fin-nombre").click()
    page.fill("fin_nombre", "6")
    page.submit("Vérifier la date")
    assert "Vérification de la date" in page.text()
    assert "Aucun conflit" in page.text()
    page.check("evenement-verifie")
    page.submit("Enregistrer")
    assert page.driver.current_url.endswith("/espace/?fait=enregistre")
    assert "chaque semaine le samedi, 6 fois" in page.text()
    page.check("espace-un-evenement")

    page.follow(page.driver.find_element(By.LINK_TEXT, "Modifier"))
    page.check("evenement-modifier")
    page.fill("titre", "")
    page.submit("Enregistrer")
    assert "Une correction est nécessaire" in page.text()
    page.check("evenement-erreur")
    page.fill("titre", "Entraînement des jeunes (U11)")
    page.submit("Enregistrer")
    assert "Entraînement des jeunes (U11)" in page.text()

    page.open(concord.url + "/?du=2026-12-01&au=2026-12-31")
    assert "Entraînement des jeunes (U11)" in page.text()

    page.open(concord.url + "/espace/")
    page.follow(page.driver.find_element(By.LINK_TEXT, "Supprimer"))
    assert "Voulez-vous vraiment supprimer" in page.text()
    page.check("evenement-supprimer")


def test_importing_a_file(concord, page):
    page.sign_in(concord.url, "asso-a")
    page.open(concord.url + "/espace/importer")
    page.check("importer")
    page.driver.find_element(By.ID, "fichier").send_keys(str(FIXTURE))
    page.submit("Importer")
    assert "1 ajouté(s)" in page.text()
    page.check("importer-rapport")
