"""mt.cgi's own rules: the first visit (through lighttpd running it as CGI:
what the script may write where), then in this process on every backend
(the `cms` fixture): logging in and out, sessions, the form token, slowed
failed logins, and what a browser is told about every page (cookies, CSP)."""

import os

import pytest

from support.client import CMSClient, forms
from support.servers import start_lighttpd, stop
from support.sites import ADMIN_PASSWORD, free_port, install_files
from support.waiting import file_appears, wait_for


class FreshInstall:
    """The scripts uploaded, mt.cfg written, nothing else: no store yet."""

    def __init__(self, folder):
        self.folder = str(folder)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        cgi_bin = install_files(self.folder)
        self.archives = os.path.join(self.folder, "archives")
        os.makedirs(self.archives)
        self.config_path = os.path.join(cgi_bin, "mt.cfg")
        with open(self.config_path, "w") as handle:
            handle.write("CGIPath %scgi-bin/\nLogFile ../mtpy.log\nMailTransfer debug\n" % self.base)


@pytest.fixture
def fresh(tmp_path):
    site = FreshInstall(tmp_path / "site")
    process = start_lighttpd(site)
    yield site
    stop(process)


SETUP = {"author_name": "Ada", "email": "ada@example.com", "password": "correct horse 1",
         "password_again": "correct horse 1", "blog_name": "Ada's <Weblog>"}


def setup_fields(page, site, **changes):
    """The set-up form as proposed, with the author's answers and the set-up
    key the owner downloads from the data folder."""
    [(action, proposed)] = [form for form in forms(page) if "site_path" in form[1]]
    fields = {name: values[0] for name, values in proposed.items()}
    with open(os.path.join(site.folder, "data", "setup-key.txt")) as handle:
        fields["setup_key"] = handle.read().strip()
    fields.update(SETUP, **changes)
    return fields


def test_first_visit_sets_up_the_store_the_author_and_the_weblog(fresh):
    client = CMSClient(fresh.base)
    page = client.get()
    assert page.status == 200 and "Welcome to mtpy" in page.text
    fields = setup_fields(page.text, fresh)
    # Proposed from where the scripts live: archives/ beside cgi-bin/, served at the root.
    assert fields["site_path"] == fresh.archives and fields["site_url"] == fresh.base
    refused = client.post("setup", setup_fields(page.text, fresh, password_again="something else"), token=False)
    assert refused.status == 200 and "The two passwords differ." in refused.text
    assert 'value="ada@example.com"' in refused.text          # what was typed is kept
    done = client.post("setup", fields, token=False)
    assert done.status == 200 and "Your weblog is ready" in done.text
    assert "Ada&#39;s &lt;Weblog&gt;" in done.text and "Log out" in done.text
    # Once an author exists, set-up is gone.
    again = CMSClient(fresh.base).get("setup")
    assert "Welcome to mtpy" not in again.text and "Log in to mtpy" in again.text
    from mtpy.config import Config
    from mtpy.models import Author, Blog
    from mtpy.store import open_store
    store = open_store(Config(fresh.config_path))
    [author], [blog] = store.find(Author), store.find(Blog)
    store.close()
    assert author.name == "Ada" and author.is_admin and blog.site_path == fresh.archives


def test_first_visit_without_mt_cfg_writes_none(fresh):
    os.unlink(fresh.config_path)
    client = CMSClient(fresh.base)
    page = client.get()
    refused = client.post("setup", setup_fields(page.text, fresh, password="short", password_again="short"),
                          token=False)
    assert "at least 8 characters" in refused.text
    assert not os.path.exists(fresh.config_path) and not os.path.exists(os.path.join(fresh.folder, "data", "mtpy.db"))
    done = client.post("setup", setup_fields(page.text, fresh), token=False)
    assert "Your weblog is ready" in done.text
    assert not os.path.exists(fresh.config_path)        # cgi-bin/ may not be the scripts' to write
    with open(os.path.join(fresh.folder, "data", "cgi-path.txt")) as handle:
        assert handle.read().strip() == fresh.base + "cgi-bin/"
    index = os.path.join(fresh.archives, "index.html")
    assert wait_for(file_appears(index), 15)        # built after the answer


def test_logged_out_only_the_login_page_answers(cms):
    site, client = cms
    stranger = CMSClient(site.base)
    for mode in ("dashboard", "entries", "pings", "blog_settings", "authors", "activity", "templates"):
        page = stranger.get(mode, blog_id=site.blog.id)
        assert page.status == 200 and "Log in to mtpy" in page.text and "Test Weblog" not in page.text, mode
    assert stranger.get("dashboard", follow=False).status == 303
    client.get("dashboard")
    client.post("logout")
    assert "Log in to mtpy" in client.get("dashboard").text


def test_a_post_without_the_token_or_with_another_sessions_changes_nothing(cms):
    site, client = cms
    other = CMSClient(site.base)
    other.log_in(site.author.name, ADMIN_PASSWORD)
    foreign_token = other.token(other.get("dashboard").text)
    for token in (False, "", foreign_token, "x" * 40):
        result = client.post("blog_settings", {"name": "Hijacked", "site_url": site.base, "site_path": site.archives},
                             token=token, blog_id=site.blog.id)
        assert result.status == 403 and "nothing was changed" in result.text
    assert "Hijacked" not in client.get("blog_settings", blog_id=site.blog.id).text


def test_cookie_and_page_headers(cms):
    site, client = cms
    login = CMSClient(site.base)
    first = login.get("login")
    assert "default-src 'none'" in first.headers["Content-Security-Policy"]
    assert "script-src" not in first.headers["Content-Security-Policy"]
    answer = login.post("login", {"username": site.author.name, "password": ADMIN_PASSWORD}, follow=False)
    assert answer.status == 303
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/cgi-bin/mt.cgi" in cookie
    assert "Secure" not in cookie                       # plain HTTP here
    page = client.get("dashboard")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"


def test_a_password_change_ends_the_other_sessions(cms):
    site, client = cms
    elsewhere = CMSClient(site.base)
    elsewhere.log_in(site.author.name, ADMIN_PASSWORD)
    client.get("profile")
    wrong = client.post("profile", {"email": site.author.email, "old_password": "nope", "new_password": "new secret 22",
                                    "new_password_again": "new secret 22"})
    assert wrong.status == 200 and 'class="field-error"' in wrong.text
    changed = client.post("profile", {"email": site.author.email, "old_password": ADMIN_PASSWORD,
                                      "new_password": "new secret 22", "new_password_again": "new secret 22"})
    assert "Your password was changed" in changed.text
    assert "Log in to mtpy" in elsewhere.get("dashboard").text
    assert "Log out" in client.get("dashboard").text      # this one stays
    CMSClient(site.base).log_in(site.author.name, "new secret 22")


def test_failed_logins_are_slowed(cms):
    site, client = cms
    attacker = CMSClient(site.base)
    statuses = [attacker.post("login", {"username": site.author.name, "password": "guess %d" % n}).status
                for n in range(7)]
    assert statuses[:5] == [403] * 5 and statuses[-1] == 429
    refused = attacker.post("login", {"username": site.author.name, "password": ADMIN_PASSWORD})
    assert refused.status == 429 and "Too many failed logins" in refused.text


def test_unknown_modes_and_failures_show_the_error_page(cms):
    site, client = cms
    page = client.get("no_such_mode")
    assert page.status == 404 and "Unknown action no_such_mode" in page.text
    page = client.get("<script>alert(1)</script>")
    assert page.status == 404 and "<script>alert" not in page.text
    missing = client.get("blog_settings", blog_id=999)
    assert missing.status == 404 and "No such weblog." in missing.text


def test_a_screen_is_replaced_from_the_installations_template_folder(cms, tmp_path):
    site, client = cms
    folder = tmp_path / "my-templates"
    (folder / "cms").mkdir(parents=True)
    (folder / "cms" / "error.html").write_text('{% extends "layout.html" %}{% block content %}'
                                              '<p class="mine">Our own error page: {{ message }}</p>{% endblock %}')
    site.update_config("TemplatePath %s\n" % folder)
    page = client.get("no_such_mode")
    assert page.status == 404 and '<p class="mine">Our own error page: Unknown action no_such_mode</p>' in page.text
    assert "mt-check.cgi" in page.text        # the shipped layout still frames it

