"""Browser tests: the real concord binary, Debian's chromium driven by
Selenium through chromedriver, and axe-core injected into every page a
scenario checks.

Each scenario gets a fresh server (temporary database, the same accounts as
the Rust harness, the clock started at NOW like every test server). Pages
are looked at 375 px and 1280 px wide; screenshots go to
target/browser/screenshots (kept by CI as artefacts), axe results to
target/browser/axe/.
"""

import json
import os
import pathlib
import re
import subprocess
import tempfile

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "browser"
NOW = "2026-11-28T10:00:00Z"
PASSWORD = "correct-horse-battery"
ORGANISERS = [
    ("asso-a", "Comité des fêtes d'Arue", "arue"),
    ("asso-b", "Football club de Bourriot", "bourriot"),
]
COMMUNES = """
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
"""
WIDTHS = (375, 1280)


def binary():
    return os.environ.get("CONCORD_BIN", str(ROOT / "target" / "debug" / "concord"))


class Concord:
    """One server on an ephemeral port with its own database."""

    def __init__(self, extra=""):
        self.dir = tempfile.TemporaryDirectory()
        self.config = pathlib.Path(self.dir.name) / "config.toml"
        self.config.write_text(
            f'data_dir = "{self.dir.name}/data"\nlisten = "127.0.0.1:0"\n'
            'base_url = "http://127.0.0.1"\n'
            "[auth]\nargon2_memory_kib = 512\nargon2_iterations = 1\n"
            + COMMUNES
            + extra
        )
        for login, name, commune in ORGANISERS:
            self.cli("organiser", "add", login, "--name", name, "--commune", commune,
                     "--password-stdin", stdin=PASSWORD)
        self.cli("staff", "add", "staff", "--name", "Service communication",
                 "--password-stdin", stdin=PASSWORD)
        self.process = subprocess.Popen(
            [binary(), "--config", str(self.config), "serve"],
            env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        for line in self.process.stdout:
            found = re.match(r"listening on (http://[^/\s]+)", line)
            if found:
                self.url = found.group(1)
                break
        else:
            raise RuntimeError("concord did not start")

    @staticmethod
    def env():
        return {**os.environ, "CONCORD_CLOCK": NOW}

    def cli(self, *args, stdin=""):
        done = subprocess.run([binary(), "--config", str(self.config), *args],
                              input=stdin, capture_output=True, text=True, env=self.env())
        assert done.returncode == 0, f"concord {' '.join(args)}: {done.stderr}"
        return done.stdout

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.dir.cleanup()


@pytest.fixture
def concord():
    server = Concord()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--lang=fr-FR"):
        options.add_argument(flag)
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def page(browser):
    """The browser with a clean cookie jar and helpers for one scenario."""
    browser.delete_all_cookies()
    browser.set_window_size(1280, 1000)
    return Page(browser)


AXE = (ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js")


def stale(error):
    """Whether a WebDriver error means the element's document is gone.
    Chromium reports it either as a stale reference or, while the next
    page is being swapped in, as an inspector error saying the node "does
    not belong to the document"."""
    return isinstance(error, StaleElementReferenceException) or (
        "does not belong to the document" in str(error))


def replaced(element):
    """Whether `element` no longer belongs to the current document.
    (Selenium's own staleness_of only knows the first kind of error.)"""
    try:
        element.is_enabled()
        return False
    except WebDriverException as error:
        if stale(error):
            return True
        raise


class Page:
    def __init__(self, driver):
        self.driver = driver

    def open(self, url):
        self.driver.get(url)
        return self

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def fill(self, field_id, value):
        field = self.driver.find_element(By.ID, field_id)
        field.clear()
        field.send_keys(value)

    def submit(self, button_text):
        """Clicks the button whose text starts with `button_text`, and
        waits for the page it leads to (a click returns before the
        navigation ends, later still on a loaded machine)."""
        self.follow(self.button(button_text))

    def follow(self, element):
        """Clicks a link or a button and waits for the page it leads to."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        self.wait_replaced(old)

    def wait_replaced(self, element):
        """Waits until `element` left the document (the next page is
        there), then until that page is loaded."""
        WebDriverWait(self.driver, 30).until(lambda _: replaced(element))
        self.loaded()

    def button(self, button_text):
        """The button whose text starts with `button_text`. Read again when
        the document changed under the reading (a link's click returns
        while its page still loads: Chromium then reports nodes that "do
        not belong to the document")."""
        for attempt in range(5):
            self.loaded()
            try:
                for button in self.driver.find_elements(By.CSS_SELECTOR,
                                                        "button, input[type=submit]"):
                    label = button.text or button.get_attribute("value") or ""
                    if label.strip().startswith(button_text):
                        return button
                break
            except WebDriverException as error:
                if not stale(error) or attempt == 4:
                    raise
        raise AssertionError(f"no button {button_text!r} on {self.driver.current_url}")

    def loaded(self):
        WebDriverWait(self.driver, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete")

    def screenshot(self, name):
        folder = OUT / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(folder / f"{name}.png"))

    def check(self, name):
        """At each width: no horizontal scrolling, a screenshot, and no
        serious or critical axe-core violation."""
        failures = []
        for width in WIDTHS:
            self.driver.set_window_size(width, 1000)
            scroll = self.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if scroll > 1:
                failures.append(f"{width} px: the page scrolls sideways by {scroll} px")
            self.screenshot(f"{name}-{width}")
            violations = self.axe()
            (OUT / "axe").mkdir(parents=True, exist_ok=True)
            (OUT / "axe" / f"{name}-{width}.json").write_text(json.dumps(violations, indent=1))
            for v in violations:
                if v["impact"] in ("serious", "critical"):
                    failures.append(f"{width} px: {v['id']} ({v['impact']}): {v['help']} "
                                    f"at {[n['target'] for n in v['nodes']][:5]}")
        self.driver.set_window_size(1280, 1000)
        assert not failures, f"{name} ({self.driver.current_url}):\n" + "\n".join(failures)

    def axe(self):
        self.driver.execute_script(AXE.read_text())
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values:"
            " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => ({target: n.target, html: n.html}))}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")

    def come_forward(self, name, contact, email, commune="arue"):
        """Fills the registration form (/inscription, already open) as an
        association and sends it."""
        self.fill("nom", name)
        self.driver.find_element(By.ID, "nature").click()
        Select(self.driver.find_element(By.ID, "commune")).select_by_value(commune)
        self.fill("contact", contact)
        self.fill("courriel", email)
        self.submit("Envoyer ma demande")

    def sign_in(self, base, login, password=PASSWORD):
        self.open(base + "/connexion")
        self.fill("identifiant", login)
        self.fill("mot-de-passe", password)
        self.submit("Se connecter")
