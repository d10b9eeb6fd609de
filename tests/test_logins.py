"""Logging in to mt.cgi, in process: the log-in and set-up forms refuse posts
from other sites, failed logins slow down without locking the owner out, and
password hashes are made again with today's iteration count."""

import base64
import hashlib
import html
import io
import os
import re
import urllib.parse

import pytest

from conftest import ADMIN_PASSWORD, Site, admin_password_hash
from mtpy import passwords, sessions
from mtpy.actions.activity import record
from mtpy.models import Activity, Author, Session


pytestmark = pytest.mark.real_password_hashing   # mtpy's own counts: what they protect is tested here


class Visitor:
    """One browser calling mt.cgi's WSGI application: its cookies kept, its
    address and the headers its browser adds chosen by the test."""

    def __init__(self, app, address, headers=None):
        self.app = app
        self.address = address
        self.headers = dict(headers or {})
        self.cookies = {}

    def call(self, method, mode, fields=None, cookies=True, **headers):
        body = urllib.parse.urlencode(fields or {}).encode("utf-8")
        environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "/cgi-bin/mt.cgi", "PATH_INFO": "",
                   "QUERY_STRING": "__mode=" + mode, "REMOTE_ADDR": self.address, "SERVER_NAME": "blog.example",
                   "SERVER_PORT": "80", "HTTP_HOST": "blog.example", "CONTENT_LENGTH": str(len(body)),
                   "CONTENT_TYPE": "application/x-www-form-urlencoded", "wsgi.input": io.BytesIO(body),
                   "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
        for name, value in dict(self.headers, **headers).items():
            environ["HTTP_" + name.upper()] = value
        if cookies and self.cookies:
            environ["HTTP_COOKIE"] = "; ".join("%s=%s" % pair for pair in self.cookies.items())
        said = []
        page = b"".join(self.app(environ, lambda status, headers, exc_info=None: said.append((status, headers))))
        [(status, headers)] = said
        for name, value in headers:
            if name == "Set-Cookie":
                cookie, _, value = value.partition(";")[0].partition("=")
                self.cookies[cookie] = value
        return int(status[:3]), headers, page.decode("utf-8")

    def token(self, page):
        found = re.search(r'name="magic_token" value="([^"]*)"', page)
        return html.unescape(found.group(1)) if found else ""

    def log_in(self, name, password, **headers):
        """(status, headers, page) of the login form, filled in and posted."""
        _, _, page = self.call("GET", "login")
        return self.call("POST", "login", {"username": name, "password": password, "magic_token": self.token(page)},
                         **headers)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An installation whose Melody has ADMIN_PASSWORD; one app for the module."""
    from mtpy.apps.cms import CMSApp
    site = Site(tmp_path_factory.mktemp("logins") / "site", "sqlite")
    store = site.store()
    site.author.password_hash = admin_password_hash()
    site.author.is_admin = True
    store.save(site.author)
    store.close()
    site.app = CMSApp(site.config)
    return site


def count(site, kind, **values):
    store = site.store()
    try:
        return len(store.find(kind, **values))
    finally:
        store.close()


def test_the_login_form_refuses_posts_from_other_sites(site):
    visitor = Visitor(site.app, "192.0.2.50")
    status, form_headers, page = visitor.call("GET", "login")
    token = visitor.token(page)
    sessions_before = count(site, Session)
    fields = {"username": "Melody", "password": ADMIN_PASSWORD}
    # A page elsewhere posting the form: the browser sends no SameSite cookie with it.
    attempts = [visitor.call("POST", "login", fields, cookies=False, sec_fetch_site="cross-site",
                             origin="http://evil.example"),
                visitor.call("POST", "login", fields, cookies=False),               # an older browser
                visitor.call("POST", "login", dict(fields, magic_token=token), cookies=False),
                visitor.call("POST", "login", dict(fields, magic_token="x" * 43)),   # a guessed token
                visitor.call("POST", "login", dict(fields, magic_token=token), sec_fetch_site="cross-site"),
                visitor.call("POST", "login", dict(fields, magic_token=token), sec_fetch_site="same-site")]
    for status, headers, page in attempts:
        assert status == 403 and "did not come from this site, so nothing was changed" in page
        assert not [value for name, value in headers if name == "Set-Cookie" and sessions.COOKIE + "=" in value]
    assert count(site, Session) == sessions_before and not count(site, Activity, ip="192.0.2.50")
    # The token is the value of a cookie that only this site's pages carry.
    assert visitor.cookies[sessions.FORM_COOKIE] == token
    assert ("Set-Cookie", "%s=%s; Path=/cgi-bin/mt.cgi; HttpOnly; SameSite=Lax" % (sessions.FORM_COOKIE, token)) \
        in form_headers
    # The site's own page, with the cookie it set: logged in.
    status, headers, _ = visitor.call("POST", "login", dict(fields, magic_token=token), sec_fetch_site="same-origin")
    assert status == 303 and count(site, Session) == sessions_before + 1
    assert visitor.cookies[sessions.COOKIE]


def test_the_set_up_form_refuses_posts_from_other_sites(tmp_path):
    from mtpy.apps.cms import CMSApp
    from mtpy.config import Config
    cgi_bin = tmp_path / "cgi-bin"
    cgi_bin.mkdir()
    (cgi_bin / "mt.cfg").write_text("DataSource ../data\nMailTransfer debug\n")
    app = CMSApp(Config(str(cgi_bin / "mt.cfg")))
    visitor = Visitor(app, "192.0.2.60")
    status, _, page = visitor.call("GET", "setup")
    assert status == 200 and "Welcome to mtpy" in page
    fields = {"author_name": "Mallory", "email": "m@example.com", "password": "mallory's 1",
              "password_again": "mallory's 1", "blog_name": "Mine", "site_url": "http://blog.example/",
              "site_path": str(tmp_path / "archives")}
    for cookies, extra in ((False, {}), (True, {"magic_token": "y" * 43})):
        status, _, page = visitor.call("POST", "setup", dict(fields, **extra), cookies=cookies,
                                       sec_fetch_site="cross-site" if not cookies else "same-origin")
        assert status == 403 and "nothing was changed" in page
    assert not os.path.exists(str(tmp_path / "data" / "mtpy.db")) and not os.path.exists(str(tmp_path / "archives"))


def test_failing_on_purpose_never_keeps_the_owner_out(site):
    """30 failures for Melody from six addresses: from an address that has not
    failed, her password gets in at once; from one that failed, after a minute
    at most. A name of 200 characters is counted by its first 80."""
    failed = ["198.51.100.%d" % n for n in range(6)]
    for address in failed[:5]:
        assert Visitor(site.app, address).log_in("Melody", "guess")[0] == 403
    store = site.store()
    try:
        with store.transaction():
            for n in range(25):
                record(store, "login_failed", "Failed login as Melody", ip=failed[n % 6], author_name="Melody")
    finally:
        store.close()
    status, _, _ = Visitor(site.app, "203.0.113.80").log_in("Melody", ADMIN_PASSWORD)
    assert status == 303
    status, headers, page = Visitor(site.app, failed[0]).log_in("Melody", ADMIN_PASSWORD)
    assert status == 429 and "Too many failed logins. Try again in" in page
    assert 0 < int(dict(headers)["Retry-After"]) <= 60

    long_name = "M" * 200
    for n in range(5):
        assert Visitor(site.app, "198.51.100.%d" % (20 + n)).log_in(long_name, "guess")[0] == 403
    status, _, _ = Visitor(site.app, "198.51.100.20").log_in(long_name, "guess")
    assert status == 429                                     # counted across its addresses
    store = site.store()
    try:
        names = set(line.author_name for line in store.find(Activity, kind="login_failed", ip="198.51.100.21"))
    finally:
        store.close()
    assert names == {"M" * 80}


def pbkdf2_hash(password, iterations):
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return "pbkdf2_sha256$%d$%s$%s" % (iterations, base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def add_author(site, name, password_hash):
    store = site.store()
    try:
        store.save(Author(name=name, email="%s@example.com" % name.lower(), password_hash=password_hash))
    finally:
        store.close()


def test_an_older_hash_is_made_again_on_login(site):
    add_author(site, "Older", pbkdf2_hash("older secret", 200000))
    assert Visitor(site.app, "203.0.113.90").log_in("Older", "older secret")[0] == 303
    store = site.store()
    try:
        [older] = store.find(Author, name="Older")
    finally:
        store.close()
    assert older.password_hash.startswith("pbkdf2_sha256$600000$")
    assert passwords.check_password("older secret", older.password_hash)
    assert Visitor(site.app, "203.0.113.91").log_in("Older", "older secret")[0] == 303
    assert passwords.hash_password("x").startswith("pbkdf2_sha256$600000$")
    assert passwords.needs_rehash(pbkdf2_hash("x", 200000)) and not passwords.needs_rehash(passwords.hash_password("x"))


def test_a_hash_of_too_few_iterations_matches_nothing(site):
    """A count of 1 (or of a billion) matches nothing, and the log says why."""
    add_author(site, "Weak", pbkdf2_hash("weak secret", 1))
    status, _, page = Visitor(site.app, "203.0.113.92").log_in("Weak", "weak secret")
    assert status == 403 and "Invalid login" in page
    with open(os.path.join(site.folder, "mtpy.log")) as handle:
        assert "has an iteration count outside the accepted range" in handle.read()
    assert not passwords.check_password("x", pbkdf2_hash("x", 1))
    assert not passwords.check_password("x", "pbkdf2_sha256$1000000000$AAAA$AAAA")
    assert passwords.check_password("x", pbkdf2_hash("x", 200000))       # the floor: every earlier release's count
