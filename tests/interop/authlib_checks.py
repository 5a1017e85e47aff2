"""A second, independent client: Authlib (with requests) against a live Keyward.

Usage: python authlib_checks.py CONFIG.json (written by run.sh). Prints one line per check
(`ok - name`, `not ok - name: reason`, `skip - name: reason`); exits 1 if any failed.
The sign-in form is driven with requests: the CSRF token and interaction id are scraped from
the page's hidden inputs, and redirects are followed to a small callback server on loopback.
"""

import json
import re
import sys
import threading
import time
import traceback
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urljoin, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge

TIMEOUT = 10
cfg = json.load(open(sys.argv[1]))
issuer = cfg["issuer"]
C = cfg["clients"]
alice = cfg["users"]["alice"]
CB = f"{cfg['py']}/cb"
counts = {"ok": 0, "not ok": 0, "skip": 0}
state = {}


class Skip(Exception):
    pass


def check(name):
    def run(fn):
        started = time.monotonic()
        try:
            fn()
            counts["ok"] += 1
            print(f"ok - {name}", flush=True)
            state[name] = True
        except Skip as e:
            counts["skip"] += 1
            print(f"skip - {name}: {e}", flush=True)
            state[name] = "skip"
        except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal
            counts["not ok"] += 1
            reason = " ".join(f"{type(e).__name__}: {e}".split())[:400]
            print(f"not ok - {name}: {reason}", flush=True)
            traceback.print_exc(file=sys.stderr)
            state[name] = False
        if time.monotonic() - started > 30:
            print(f"  ({name} took {time.monotonic() - started:.0f} s)", file=sys.stderr)
        return fn

    return run


def need(*names):
    for n in names:
        if state.get(n) is not True:
            raise RuntimeError(f"prerequisite failed ({n})")


# ------------------------------------------------------------------ the callback server
callbacks = []


class Callback(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        callbacks.append(self.path)
        body = b"<!DOCTYPE html><title>Authlib callback</title><p>received</p>"
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", cfg["py_port"]), Callback)
threading.Thread(target=server.serve_forever, daemon=True).start()


class Form(HTMLParser):
    """The first form of a page: its action and its inputs (hidden values included)."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self.buttons = []
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done:
            self.action = a.get("action")
            self._in_form = True
        elif self._in_form and tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif self._in_form and tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


def form_of(html):
    f = Form()
    f.feed(html)
    return f


def browse(session, url, user=alice, approve=True):
    """Follows the authorization flow like a browser without JavaScript would: redirects, the
    sign-in form (CSRF token scraped), the consent form; stops at the callback server."""
    res = session.get(url, timeout=TIMEOUT)
    for _ in range(10):
        if res.url.startswith(cfg["py"]):
            return res.url
        f = form_of(res.text)
        if f.action is None:
            raise RuntimeError(f"no form at {res.url} (HTTP {res.status_code}): {' '.join(res.text.split())[:160]}")
        if "csrf_token" not in f.fields:
            raise RuntimeError(f"the form at {res.url} carries no CSRF token")
        data = dict(f.fields)
        if "password" in data:
            data["username"] = user["username"]
            data["password"] = user["password"]
        elif ("decision", "approve") in f.buttons:
            data["decision"] = "approve" if approve else "deny"
        else:
            raise RuntimeError(f"unexpected form at {res.url}: {sorted(data)}")
        res = session.post(urljoin(res.url, f.action), data=data, timeout=TIMEOUT)
    raise RuntimeError(f"did not reach the callback (at {res.url})")


meta = {}
jwks = {}


@check("authlib: discovery and JWKS")
def _():
    res = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    res.raise_for_status()
    meta.update(res.json())
    assert meta["issuer"] == issuer, meta["issuer"]
    jwks.update(requests.get(meta["jwks_uri"], timeout=TIMEOUT).json())
    assert jwks["keys"], "no keys"
    JsonWebKey.import_key_set(jwks)


def verify_id_token(id_token, client_id, nonce=None):
    header = json.loads(__import__("base64").urlsafe_b64decode(id_token.split(".")[0] + "=="))
    assert header.get("alg") not in (None, "none"), header
    claims = jwt.decode(
        id_token,
        JsonWebKey.import_key_set(jwks),
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
            "exp": {"essential": True},
            "sub": {"essential": True},
            **({"nonce": {"essential": True, "value": nonce}} if nonce else {}),
        },
    )
    claims.validate(leeway=5)
    return claims


@check("authlib: client_credentials (client_secret_basic)")
def _():
    need("authlib: discovery and JWKS")
    c = C["pyservice"]
    s = OAuth2Session(c["client_id"], c["client_secret"], token_endpoint_auth_method="client_secret_basic", scope="api:read")
    token = s.fetch_token(meta["token_endpoint"], grant_type="client_credentials", timeout=TIMEOUT)
    assert token["access_token"] and token["token_type"].lower() == "bearer", token.keys()
    claims = jwt.decode(token["access_token"], JsonWebKey.import_key_set(jwks))
    assert claims["client_id"] == c["client_id"], claims
    state["cc_token"] = token["access_token"]


tokens = {}


@check("authlib: code + PKCE (sign-in form with its CSRF token, callback on loopback)")
def _():
    need("authlib: discovery and JWKS")
    c = C["pyweb"]
    s = OAuth2Session(c["client_id"], c["client_secret"], scope="openid profile email offline_access", redirect_uri=CB,
                      code_challenge_method="S256")
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, st = s.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
    assert "code_challenge=" + create_s256_code_challenge(verifier) in url
    browser = requests.Session()
    callback = browse(browser, url)
    q = parse_qs(urlparse(callback).query)
    assert q.get("state") == [st], q
    assert q.get("iss") == [issuer], f"iss {q.get('iss')}"
    assert callbacks and callbacks[-1].startswith("/cb?"), "the callback server saw nothing"
    token = s.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier, timeout=TIMEOUT)
    assert token.get("refresh_token"), "no refresh token"
    claims = verify_id_token(token["id_token"], c["client_id"], nonce)
    tokens.update(token=token, sub=claims["sub"], session=s)
    info = s.get(meta["userinfo_endpoint"], timeout=TIMEOUT).json()
    assert info["sub"] == claims["sub"] and info["email"] == alice["email"], info


@check("authlib: refresh with rotation; the rotated-out token is invalid_grant")
def _():
    need("authlib: code + PKCE (sign-in form with its CSRF token, callback on loopback)")
    s = tokens["session"]
    old = tokens["token"]["refresh_token"]
    new = s.refresh_token(meta["token_endpoint"], refresh_token=old, timeout=TIMEOUT)
    assert new["access_token"] and new["refresh_token"] and new["refresh_token"] != old, "not rotated"
    c = C["pyweb"]
    res = requests.post(meta["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": old},
                        auth=(c["client_id"], c["client_secret"]), timeout=TIMEOUT)
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant", res.text
    res = requests.post(meta["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]},
                        auth=(c["client_id"], c["client_secret"]), timeout=TIMEOUT)
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant", "the newest refresh token survived reuse"


@check("authlib: introspection (RFC 7662, client_secret_basic)")
def _():
    need("authlib: client_credentials (client_secret_basic)")
    c = C["pyservice"]
    s = OAuth2Session(c["client_id"], c["client_secret"])
    res = s.introspect_token(meta["introspection_endpoint"], token=state["cc_token"], timeout=TIMEOUT)
    body = res.json()
    assert res.status_code == 200 and body["active"] is True, body
    assert body["client_id"] == c["client_id"] and "api:read" in body["scope"].split(), body
    body = s.introspect_token(meta["introspection_endpoint"], token="junk", timeout=TIMEOUT).json()
    assert body == {"active": False} or body.get("active") is False, body


@check("authlib: revocation (RFC 7009)")
def _():
    need("authlib: introspection (RFC 7662, client_secret_basic)")
    c = C["pyservice"]
    s = OAuth2Session(c["client_id"], c["client_secret"])
    res = s.revoke_token(meta["revocation_endpoint"], token=state["cc_token"], token_type_hint="access_token", timeout=TIMEOUT)
    assert res.status_code == 200, res.status_code
    body = s.introspect_token(meta["introspection_endpoint"], token=state["cc_token"], timeout=TIMEOUT).json()
    assert body["active"] is False, body
    res = requests.get(meta["userinfo_endpoint"], headers={"authorization": f"Bearer {state['cc_token']}"}, timeout=TIMEOUT)
    assert res.status_code == 401, res.status_code


@check("authlib: device flow")
def _():
    need("authlib: discovery and JWKS")
    if not meta.get("device_authorization_endpoint"):
        raise AssertionError("device_authorization_endpoint is missing from discovery")
    c = C["tv"]
    res = requests.post(meta["device_authorization_endpoint"], data={"client_id": c["client_id"], "scope": "openid profile"}, timeout=TIMEOUT)
    assert res.status_code == 200, res.text
    da = res.json()
    assert re.fullmatch(r"[A-Z0-9]{4}-?[A-Z0-9]{4}", da["user_code"]), da["user_code"]
    grant = "urn:ietf:params:oauth:grant-type:device_code"
    poll = requests.post(meta["token_endpoint"], data={"grant_type": grant, "device_code": da["device_code"], "client_id": c["client_id"]}, timeout=TIMEOUT)
    assert poll.json().get("error") == "authorization_pending", poll.text
    browser = requests.Session()
    page = browser.get(da["verification_uri_complete"], timeout=TIMEOUT)
    for _ in range(6):
        f = form_of(page.text)
        if f.action is None:
            break
        data = dict(f.fields)
        if "password" in data:
            data.update(username=alice["username"], password=alice["password"])
        elif ("decision", "approve") in f.buttons:
            data["decision"] = "approve"
        elif "user_code" in data and not data["user_code"]:
            data["user_code"] = da["user_code"]
        approving = data.get("decision") == "approve"
        page = browser.post(urljoin(page.url, f.action), data=data, timeout=TIMEOUT)
        if approving:
            break
    deadline = time.monotonic() + 30
    interval = da.get("interval", 5)
    while time.monotonic() < deadline:
        time.sleep(interval)
        poll = requests.post(meta["token_endpoint"], data={"grant_type": grant, "device_code": da["device_code"], "client_id": c["client_id"]}, timeout=TIMEOUT)
        body = poll.json()
        if poll.status_code == 200:
            assert body["access_token"], body
            return
        if body.get("error") == "slow_down":
            interval += 5
        elif body.get("error") != "authorization_pending":
            raise RuntimeError(f"device polling: {body}")
    raise RuntimeError("the device grant was never approved")


server.shutdown()
print("# done", flush=True)
sys.exit(1 if counts["not ok"] else 0)
