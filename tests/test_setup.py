"""mt.cgi's first visit (set-up), called in-process as WSGI: it needs the set-up
key from the data folder, checks the whole form at once (the weblog's folder
too), writes nothing into cgi-bin/, keeps the URL of cgi-bin/ it saw in the data
folder so that every ping URL is absolute, and gives the data folder the modes
`mtpy init` gives it."""

import io
import os
import re
import urllib.parse

import pytest

from support.client import forms
from conftest import ROOT, install_files
from mtpy import fileutil
from mtpy.actions.install import SETUP_KEY
from mtpy.config import LEARNT_CGI_PATH, Config

HOST = "www.example.com"
ANSWERS = {"author_name": "Ada", "email": "ada@example.com", "password": "correct horse 1",
           "password_again": "correct horse 1", "blog_name": "Ada's Weblog"}


@pytest.fixture(autouse=True)
def process_settings():
    """The modes this process gives what it creates, as they were."""
    saved = dict(fileutil._settings)
    yield
    fileutil._settings.update(saved)


class Fresh:
    """The scripts uploaded and nothing else (with `config_text`, an mt.cfg
    too); mt.cgi called in-process as a web server on www.example.com would."""

    def __init__(self, folder, config_text=None):
        self.folder = str(folder)
        self.cgi_bin = install_files(self.folder)
        self.archives = os.path.join(self.folder, "archives")
        self.data = os.path.join(self.folder, "data")
        os.makedirs(self.archives)
        self.config_path = os.path.join(self.cgi_bin, "mt.cfg")
        if config_text is not None:
            with open(self.config_path, "w") as handle:
                handle.write(config_text)
        from mtpy.apps.cms import CMSApp
        self.config = Config(self.config_path) if config_text is not None else Config(self.config_path, text="")
        fileutil.use_config(self.config)
        self.app = CMSApp(self.config)
        self.cookies = {}

    def call(self, method="GET", fields=None, host=HOST):
        """(status, page); a POST carries the form token (and its cookie) of
        the set-up page, as a browser's would, unless `fields` has one."""
        fields = dict(fields or {})
        if method == "POST" and "magic_token" not in fields:
            token = re.search(r'name="magic_token" value="([^"]*)"', self.call("GET", host=host)[1])
            fields["magic_token"] = token.group(1) if token else ""
        body = urllib.parse.urlencode(fields).encode()
        environ = {"REQUEST_METHOD": method, "PATH_INFO": "", "SCRIPT_NAME": "/cgi-bin/mt.cgi",
                   "QUERY_STRING": "__mode=setup", "CONTENT_TYPE": "application/x-www-form-urlencoded",
                   "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "192.0.2.9", "HTTP_HOST": host,
                   "SERVER_NAME": HOST, "SERVER_PORT": "80", "DOCUMENT_ROOT": self.archives,
                   "HTTP_COOKIE": "; ".join("%s=%s" % pair for pair in self.cookies.items()),
                   "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
        seen = []

        def start_response(status, headers, exc_info=None):
            seen.append(status)
            for name, value in headers:
                if name.lower() == "set-cookie":
                    cookie_name, _, cookie_value = value.split(";", 1)[0].partition("=")
                    self.cookies[cookie_name.strip()] = cookie_value.strip()
        result = self.app(environ, start_response)
        try:
            text = b"".join(result).decode("utf-8")
        finally:
            if hasattr(result, "close"):
                result.close()      # the weblog's first build runs here
        return seen[0], text

    def key(self):
        with open(os.path.join(self.data, SETUP_KEY)) as handle:
            return handle.read().strip()

    def fields(self, page, **changes):
        """The set-up form as proposed, answered, with the set-up key."""
        [(_, proposed)] = [form for form in forms(page) if "site_path" in form[1]]
        fields = {name: values[0] for name, values in proposed.items()}
        fields.update(ANSWERS, setup_key=self.key())
        fields.update(changes)
        return fields

    def set_up(self, **changes):
        status, page = self.call()
        assert status.startswith("200") and "Welcome to mtpy" in page
        status, done = self.call("POST", self.fields(page, **changes))
        assert status.startswith("303"), done
        return done


def tree(folder):
    return sorted(os.path.relpath(os.path.join(top, name), folder)
                  for top, folders, files in os.walk(folder) for name in folders + files)


def errors_shown(page):
    return re.findall(r'id="([a-z_]+)-error"', page)


def test_set_up_needs_the_key_from_the_data_folder_and_spends_it(tmp_path):
    fresh = Fresh(tmp_path)
    status, page = fresh.call()
    assert status.startswith("200") and "data/setup-key.txt" in page
    key = fresh.key()
    assert len(key) >= 32 and key not in page
    assert oct(os.stat(os.path.join(fresh.data, SETUP_KEY)).st_mode & 0o777) == oct(0o600)
    elsewhere = str(tmp_path / "elsewhere")
    right = fresh.fields(page, setup_key=" %s\n" % key)
    for wrong in ("", key[:-1], key + "x", "x" * len(key)):
        status, refused = fresh.call("POST", fresh.fields(page, setup_key=wrong, site_path=elsewhere))
        assert status.startswith("200") and "This is not the set-up key" in refused
        assert errors_shown(refused) == ["setup_key"]
    # Without the key nothing is made: no store, no folder of the stranger's choosing.
    assert not os.path.exists(elsewhere) and not os.path.exists(os.path.join(fresh.data, "mtpy.db"))
    status, _ = fresh.call("POST", right)
    assert status.startswith("303")
    assert not os.path.exists(os.path.join(fresh.data, SETUP_KEY))
    status, again = fresh.call("POST", dict(right, author_name="Mallory"))
    assert status.startswith("303") and "Mallory" not in again        # set-up is gone: to the login
    from mtpy.models import Author
    from mtpy.store import open_store
    store = open_store(fresh.config)
    try:
        assert [author.name for author in store.find(Author)] == ["Ada"]
    finally:
        store.close()


def test_every_mistake_is_shown_at_once_and_what_was_typed_is_kept(tmp_path):
    fresh = Fresh(tmp_path)
    _, page = fresh.call()
    a_file = str(tmp_path / "a-file")
    open(a_file, "w").close()
    status, refused = fresh.call("POST", fresh.fields(
        page, email="not an address", password="short", password_again="other", blog_name="",
        site_url="ftp://example.com/", site_path=os.path.join(a_file, "folder", "x")))
    assert status.startswith("200")
    assert sorted(errors_shown(refused)) == ["blog_name", "email", "password", "password_again", "site_path",
                                               "site_url"]
    assert "mtpy cannot create the folder" in refused
    assert 'value="not an address"' in refused and 'value="Ada"' in refused and 'value="ftp://example.com/"' in refused
    assert "short" not in refused and 'value="other"' not in refused           # never the passwords
    assert not os.path.exists(os.path.join(fresh.data, "mtpy.db"))
    # Only the passwords differ: that alone is said.
    _, refused = fresh.call("POST", fresh.fields(page, password_again="correct horse 2"))
    assert errors_shown(refused) == ["password_again"]


def test_a_folder_set_up_cannot_write_is_refused_before_anything_is_stored(tmp_path):
    fresh = Fresh(tmp_path)
    _, page = fresh.call()
    read_only = str(tmp_path / "read-only")
    os.makedirs(read_only)
    os.chmod(read_only, 0o555)
    if os.access(read_only, os.W_OK) and os.geteuid() == 0:
        site_path = "/proc/mtpy-weblog"      # root writes anywhere else
    else:
        site_path = read_only
    status, refused = fresh.call("POST", fresh.fields(page, site_path=site_path))
    assert status.startswith("200") and errors_shown(refused) == ["site_path"]
    assert "mtpy cannot" in refused and not os.path.exists(os.path.join(fresh.data, "mtpy.db"))


def test_set_up_writes_nothing_in_cgi_bin_and_publishes_absolute_ping_urls(tmp_path):
    fresh = Fresh(tmp_path)
    before = tree(fresh.cgi_bin)
    fresh.set_up()
    assert tree(fresh.cgi_bin) == before
    with open(os.path.join(fresh.data, LEARNT_CGI_PATH)) as handle:
        assert handle.read().strip() == "http://%s/cgi-bin/" % HOST
    assert Config(fresh.config_path, text="").get("CGIPath") == "http://%s/cgi-bin/" % HOST
    published = _published_ping_urls(fresh)
    assert published and all(url.startswith("http://%s/cgi-bin/mt-tb.cgi/" % HOST) for url in published)


def test_a_copied_sample_config_still_gives_absolute_ping_urls(tmp_path):
    """README step 5 before the first visit: mt.cfg-original copied, CGIPath left out."""
    with open(os.path.join(ROOT, "cgi-bin", "mt.cfg-original")) as handle:
        sample = handle.read()
    fresh = Fresh(tmp_path, sample + "\nRepublishDelay 0\n")
    fresh.set_up()
    published = _published_ping_urls(fresh)
    assert published and all(url.startswith("http://%s/cgi-bin/mt-tb.cgi/" % HOST) for url in published)
    # A later request's Host header changes nothing.
    fresh.call(host="attacker.example")
    assert fresh.config.get("CGIPath") == "http://%s/cgi-bin/" % HOST
    from mtpy.models import Blog, Trackback
    from mtpy.urls import ping_url
    from mtpy.store import open_store
    store = open_store(fresh.config)
    try:
        [blog] = store.find(Blog)
        item = store.find(Trackback, limit=1)
        shown = [ping_url(fresh.config, found, blog) for found in item]
    finally:
        store.close()
    assert all(url.startswith("http://%s/" % HOST) for url in shown)


def _published_ping_urls(fresh):
    """The trackback:ping URLs in every page, once an entry is published."""
    from mtpy.actions.entries import save_entry
    from mtpy.cli import run_now
    from mtpy.models import Author, Blog
    from mtpy.store import open_store
    store = open_store(fresh.config)
    try:
        [blog], [author] = store.find(Blog), store.find(Author)
        run_now(store, fresh.config, save_entry(store, fresh.config, blog, None, {
            "title": "Pings welcome", "body": "Ping me.", "status": "Publish", "allow_pings": "1"}, author=author))
    finally:
        store.close()
    found = []
    for top, _, files in os.walk(fresh.archives):
        for name in files:
            if name.endswith((".html", ".rdf", ".xml")):
                with open(os.path.join(top, name), encoding="utf-8") as handle:
                    found += re.findall(r'trackback:ping="([^"]*)"', handle.read())
    return found


def test_a_browser_set_up_gives_the_modes_mtpy_init_gives(tmp_path):
    """The scripts running as the installation's owner (suexec)."""
    fresh = Fresh(tmp_path / "browser")
    fresh.set_up()
    by_command = Fresh(tmp_path / "command")
    from mtpy.cli import main
    assert main(["--config", by_command.config_path, "init", "--admin", "Ada", "--email", "ada@example.com",
                 "--password", "correct horse 1"]) == 0
    for made in (fresh, by_command):
        assert os.stat(made.data).st_mode & 0o777 == 0o700, made.folder
        assert os.stat(os.path.join(made.data, "mtpy.db")).st_mode & 0o777 == 0o644


def test_mt_check_flags_a_relative_cgi_path_once_set_up(tmp_path):
    from mtpy.check import RELATIVE_CGI_PATH, Report, render_text
    from mtpy.cli import main
    fresh = Fresh(tmp_path, "CGIPath /cgi-bin/\nMailTransfer debug\n")    # no warning about mail here
    before = render_text(Report(fresh.folder, fresh.config_path))
    assert "set-up takes the whole URL of cgi-bin/" in before and "a path without the host" not in before
    for command in (["init", "--admin", "Ada", "--email", "ada@example.com", "--password", "correct horse 1"],
                    ["blog", "create", "--name", "W", "--site-url", "http://%s/" % HOST, "--site-path",
                     fresh.archives]):
        assert main(["--config", fresh.config_path] + command) == 0
    report = Report(fresh.folder, fresh.config_path)
    assert [finding.what for finding in report.warnings()] == [RELATIVE_CGI_PATH % "/cgi-bin/"]
    assert report.ready        # pings still work: their URLs take the weblog's host
    with open(fresh.config_path, "w") as handle:
        handle.write("CGIPath http://%s/cgi-bin/\nMailTransfer debug\n" % HOST)
    assert Report(fresh.folder, fresh.config_path).warnings() == []


def test_a_data_folder_mt_cgi_cannot_write_is_said_on_the_page_not_a_500(tmp_path):
    """www-data before README step 4: mt.cgi cannot write its set-up key."""
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    fresh = Fresh(tmp_path / "site", "DataSource %s\nLogFile %s\n" % (blocked / "data", tmp_path / "mtpy.log"))
    for method in ("GET", "POST"):
        status, page = fresh.call(method, dict(ANSWERS, setup_key="guess"))
        assert status.startswith("200") and "mt.cgi cannot write in its data folder" in page
        assert "SITE CHMOD 777 data" in page and "Traceback" not in page
    assert "cannot write its set-up key" in (tmp_path / "mtpy.log").read_text()
