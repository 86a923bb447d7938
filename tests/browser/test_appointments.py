"""Appointments at the permanences (issue 14): a resident books a slot,
then moves and cancels it by the personal link; a service manages its
permanences and bookings. Every page is checked at 375 and 1280 px."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait


def add_service(concord):
    concord.cli("organiser", "add", "fs", "--name", "France services", "--kind", "service",
                "--password-stdin", stdin="correct-horse-battery")
    concord.cli("permanence", "add", "fs", "--place", "Maison France services, Arue",
                "--themes", "Démarches en ligne, CV", "--hours", "lun 9h-12h; mar 9h-12h; jeu 14h-17h",
                "--capacity", "2", "--days-ahead", "14", "--bring", "une pièce d'identité")


def test_a_resident_books_moves_and_cancels_at_375_px(concord, page):
    add_service(concord)
    page.driver.set_window_size(375, 900)
    page.open(concord.url + "/rendez-vous")
    page.check("rdv-services")
    page.follow(page.driver.find_element(By.LINK_TEXT, "France services"))
    assert "Lundi 30 novembre 2026" in page.text()
    page.check("rdv-creneaux")
    page.driver.set_window_size(375, 900)
    page.follow(page.driver.find_element(By.PARTIAL_LINK_TEXT, "9 h à 9 h 30"))
    assert "lundi 30 novembre 2026 de 9 h à 9 h 30" in page.text()
    page.check("rdv-formulaire")
    # Sent without a way to reach the resident: the form says why.
    Select(page.driver.find_element(By.ID, "theme")).select_by_visible_text("CV")
    page.fill("nom", "Jeanne Dupont")
    page.submit("Réserver ce créneau")
    assert "Indiquez un numéro de téléphone ou une adresse e-mail" in page.text()
    page.check("rdv-formulaire-erreur")
    page.fill("telephone", "05 56 12 34 56")
    Select(page.driver.find_element(By.ID, "commune")).select_by_visible_text("Arue")
    page.submit("Réserver ce créneau")
    assert "Votre rendez-vous est pris" in page.text()
    assert "Maison France services, Arue" in page.text()
    link = page.driver.current_url.split("?")[0]
    assert "/rendez-vous/gerer/" in link
    assert link.split("/rendez-vous/")[1] in page.text(), "the personal link is shown"
    page.check("rdv-confirmation")
    page.follow(page.driver.find_element(By.LINK_TEXT, "Choisir un autre créneau"))
    page.check("rdv-deplacer")
    page.submit("14 h à 14 h 30")
    assert "Votre rendez-vous est déplacé" in page.text()
    assert "jeudi 3 décembre 2026 de 14 h à 14 h 30" in page.text()
    page.submit("Annuler ce rendez-vous")
    assert "Votre rendez-vous est annulé" in page.text()
    page.check("rdv-annule")
    page.open(link)
    assert "ce lien ne sert plus" in page.text()
    page.check("rdv-lien-perime")


def test_a_service_defines_a_permanence_and_marks_a_booking(concord, page):
    concord.cli("organiser", "add", "fs", "--name", "France services", "--kind", "service",
                "--password-stdin", stdin="correct-horse-battery")
    page.sign_in(concord.url, "fs")
    WebDriverWait(page.driver, 10).until(expected_conditions.url_contains("/espace/"))
    page.open(concord.url + "/espace/permanences")
    page.check("espace-permanences")
    page.fill("lieu", "Médiathèque d'Arue")
    page.fill("themes", "CV")
    page.fill("horaires", "lun 14:00-17:00")
    page.submit("Ajouter la permanence")
    assert "La permanence est ajoutée" in page.text()
    page.open(concord.url + "/rendez-vous/fs")
    page.follow(page.driver.find_element(By.PARTIAL_LINK_TEXT, "14 h à 14 h 30"))
    assert "pour quelqu'un" in page.text()
    page.fill("nom", "Marcel Appelant")
    page.fill("courriel", "marcel@example.org")
    page.submit("Réserver ce créneau")
    assert "Votre rendez-vous est pris" in page.text()
    page.open(concord.url + "/espace/rendez-vous")
    assert "Marcel Appelant" in page.text()
    page.submit("Venu")
    assert "venu" in page.text()
    page.check("espace-rendez-vous")
