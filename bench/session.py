"""What the benchmarks send as clients do: HTTP Basic credentials (CalDAV)
and a sign-in through the `/connexion` form (web pages), stdlib only."""
import base64
import re
import urllib.parse


def basic_auth(login, password):
    """The Authorization header value of a CalDAV client."""
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def sign_in(request, login, password):
    """Signs in as a browser does, with `request(method, path, body,
    headers) -> (response, body)`; the Cookie header of the session."""
    response, page = request("GET", "/connexion", None, {})
    form_cookie = response.getheader("set-cookie").split(";")[0]
    csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
    response, _ = request(
        "POST", "/connexion",
        urllib.parse.urlencode({"csrf": csrf, "identifiant": login, "mot_de_passe": password}),
        {"Cookie": form_cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 303, response.status
    return {"Cookie": response.getheader("set-cookie").split(";")[0]}
