"""The public pages and signing in, as a resident and an organiser see
them in a browser."""

from selenium.webdriver.common.by import By


def test_agenda_directory_and_missing_page(concord, page):
    for name, path in [("agenda", "/"), ("annuaire", "/associations"),
                       ("agenda-filtre", "/?commune=arue&categorie=sport"),
                       ("introuvable", "/page-inconnue")]:
        page.open(concord.url + path)
        assert page.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
        page.check(name)


def test_sign_in_by_keyboard_then_out(concord, page):
    page.open(concord.url + "/connexion")
    page.check("connexion")
    # The skip link is the first thing the keyboard reaches.
    from selenium.webdriver.common.keys import Keys
    body = page.driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert page.driver.switch_to.active_element.text == "Aller au contenu"
    page.fill("identifiant", "asso-a")
    page.fill("mot-de-passe", "wrong password")
    page.submit("Se connecter")
    assert "Identifiant ou mot de passe incorrect" in page.text()
    page.check("connexion-erreur")
    page.sign_in(concord.url, "asso-a")
    assert page.driver.current_url.endswith("/espace/")
    assert "Se déconnecter" in page.text()
    page.check("espace")
    page.submit("Se déconnecter")
    assert "Espace organisateurs" in page.text()
    page.open(concord.url + "/espace/")
    assert "/connexion" in page.driver.current_url
