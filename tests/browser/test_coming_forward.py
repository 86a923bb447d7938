"""An association with no account, from the start: it comes forward on
/inscription, staff approve it (the command line), it opens its
activation link, chooses its password, lands in its space signed in,
makes a weekly event, and residents see it on the public agenda. Each
page is checked at 375 and 1280 px under axe-core."""

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def set_value(page, field_id, value):
    field = page.driver.find_element(By.ID, field_id)
    page.driver.execute_script("arguments[0].value = arguments[1]", field, value)


def test_sign_up_activate_sign_in_and_publish_a_weekly_event(concord, page):
    page.open(concord.url + "/inscription")
    page.check("inscription")
    page.come_forward("Club de randonnée des Landes", "Marie Dupuy", "marie@rando.example")
    page.check("inscription-envoyee")

    listed = concord.cli("registrations", "list")
    number = re.search(r"#(\d+)", listed).group(1)
    approved = concord.cli("registrations", "approve", number)
    link = re.search(r"(/activation/[A-Za-z0-9_-]+)", approved).group(1)
    login = re.search(r"organiser (\S+) created", approved).group(1)

    page.open(concord.url + link)
    page.check("activation")
    page.fill("mot-de-passe", "short")
    page.fill("confirmation", "short")
    page.submit("Enregistrer mon mot de passe")
    assert "12" in page.text()
    page.check("activation-erreur")
    password = "sentier gravier boussole lanterne"
    page.fill("mot-de-passe", password)
    page.fill("confirmation", password)
    page.submit("Enregistrer mon mot de passe")
    assert "/espace/" in page.driver.current_url, page.driver.current_url
    assert "Se déconnecter" in page.text()

    # The link opens nothing a second time.
    page.open(concord.url + link)
    assert "Pour obtenir un nouveau lien" in page.text(), page.text()
    assert not page.driver.find_elements(By.ID, "mot-de-passe")

    page.open(concord.url + "/espace/evenements/nouveau")
    page.fill("titre", "Randonnée du dimanche")
    set_value(page, "date", "2026-12-06")
    set_value(page, "heure_debut", "09:00")
    set_value(page, "heure_fin", "12:00")
    page.fill("lieu", "Place de l'église, Arue")
    Select(page.driver.find_element(By.ID, "repetition")).select_by_value("hebdomadaire")
    page.driver.find_element(By.ID, "fin-nombre").click()
    page.fill("fin_nombre", "4")
    page.submit("Enregistrer")
    assert "chaque semaine le dimanche, 4 fois" in page.text()

    page.submit("Se déconnecter")
    page.open(concord.url + "/?du=2026-12-01&au=2026-12-31")
    assert page.text().count("Randonnée du dimanche") == 4, page.text()
    page.check("agenda-randonnee")
    # The directory lists the new organiser under its login's anchor.
    page.open(concord.url + "/associations")
    assert page.driver.find_elements(By.ID, login), login