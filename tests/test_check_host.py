"""mt-check.cgi on a shared host: the config, the folders the scripts write, what
the web server hands out, SQLite's locking, who owns what, and the verdict.
Mostly the WSGI application called in this process with a built environ; the
web server's side through lighttpd."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT, Site, need
from mtpy import check
from mtpy.check import READY, WEB_USER, Report, filesystem_type, parse_mounts, render_html, render_text
from support.check import Recorder, call, environ_for

SECRETS = ("Database dbname-s3cret\nDBUser dbuser-s3cret\nDBPassword dbpass-s3cret\n"
           "EmailAddressMain owner-s3cret@example.com\n")
SECRET_VALUES = ("dbname-s3cret", "dbuser-s3cret", "dbpass-s3cret", "owner-s3cret@example.com")


@pytest.fixture
def check_site(tmp_path, monkeypatch):
    monkeypatch.delenv("MT_CONFIG", raising=False)
    return Site(tmp_path / "site", "sqlite")


def verdict(page):
    """The verdict's text, its ids kept: `id="ready"` or `id="not-ready"`."""
    said = page[page.index('<section id="verdict"'):]
    return re.sub(r"<(?!p class=\S+ id=)[^>]+>", "", said)


def test_ready_site_page_names_each_check_and_no_secret(check_site, refusing_server):
    check_site.update_config(SECRETS)
    status, page = call(environ_for(check_site, refusing_server.port))
    assert status == "200 OK"
    assert "Found cgi-bin/mt.cfg: valid." in page
    assert "The data folder data/: writable." in page and "The archive folder archives/: writable." in page
    assert "The config cgi-bin/mt.cfg is not handed out: /cgi-bin/mt.cfg answered 403." in page
    assert "The store data/mtpy.db is not handed out: /data/mtpy.db answered 403." in page
    assert "SQLite %s; the data folder's filesystem: " % __import__("sqlite3").sqlite_version in page
    assert "The scripts run as their owner (as under suexec or cgiwrap)" in page
    assert 'id="ready"' in verdict(page) and READY in verdict(page)
    for secret in SECRET_VALUES:
        assert secret not in page
    assert os.path.join(check_site.folder, "data") not in page      # the data folder only as data/


def test_after_set_up_a_stranger_sees_nothing_that_maps_the_server(check_site, refusing_server, tmp_path):
    import io
    import platform
    from mtpy import sessions
    from mtpy.apps.cms import CMSApp
    from mtpy.models import Author
    library = os.path.dirname(os.path.dirname(check.__file__))   # lib/mtpy/, not lib/mtpy/check/
    mapping = (library, sys.executable, "%s %s" % (platform.system(), platform.release()), check_site.folder)
    # Before set-up (no store yet), what helps the owner: where mtpy and its Python are.
    fresh = Site(tmp_path / "fresh", "sqlite")
    os.unlink(os.path.join(fresh.folder, "data", "mtpy.db"))
    _, before = call(environ_for(fresh, refusing_server.port))
    assert "<code>%s</code>" % library in before and "<strong>Runs as:</strong>" in before
    # Set up: a stranger gets the checks and the verdict, without a map of the server.
    status, page = call(environ_for(check_site, refusing_server.port))
    assert status == "200 OK" and 'id="ready"' in verdict(page)
    assert "<p>%s</p>" % check.HIDDEN_FROM_STRANGERS in page and "<strong>Runs as:</strong>" not in page
    for revealing in mapping:
        assert revealing not in page, revealing
    # mt.cgi shows an administrator the whole page; anyone else is sent to log in.
    store = check_site.store()
    author = store.get(Author, check_site.author.id).copy(is_admin=True)
    store.update(author)
    _, cookie = sessions.start(store, check_site.config, author, None)
    store.close()
    app = CMSApp(check_site.config)
    for cookie_header, shown in (("", False), ("%s=%s" % (sessions.COOKIE, cookie), True)):
        environ = environ_for(check_site, refusing_server.port, script_name="/cgi-bin/mt.cgi",
                              QUERY_STRING="__mode=system_check", HTTP_COOKIE=cookie_header,
                              SCRIPT_FILENAME=os.path.join(check_site.folder, "cgi-bin", "mt.cgi"),
                              REMOTE_ADDR="127.0.0.1", **{"wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
                                                          "wsgi.errors": io.StringIO()})
        said = []
        body = b"".join(app(environ, lambda status, headers, exc_info=None: said.append(status))).decode()
        assert ("<code>%s</code>" % library in body) == shown and (said[0] == "200 OK") == shown, said


def test_system_check_0_answers_404_saying_nothing(check_site, refusing_server):
    check_site.update_config("SystemCheck 0\n")
    status, page = call(environ_for(check_site, refusing_server.port))
    assert status == "404 Not Found"
    assert "Python" not in page and "mtpy" not in page and check_site.folder not in page
    assert refusing_server.requests == []


@pytest.mark.parametrize("answer, exposed", [
    ("content", True),          # 200 with the file: handed out
    ("other page", False),      # a host's "not found" page sent with 200 is not the file
    ("redirect", False),        # never followed
])
def test_the_config_and_store_are_fetched_from_the_server_itself(check_site, answer, exposed):
    """Shared-host layout (the tree inside the web root, at /mtpy/): the config
    beside the scripts and the store inside the installation's folder are asked
    for at the addresses the layout gives them, from SERVER_ADDR:SERVER_PORT,
    whatever the Host header says."""
    files = {"/mtpy/cgi-bin/mt.cfg": check_site.config_path,
             "/mtpy/data/mtpy.db": os.path.join(check_site.folder, "data", "mtpy.db")}

    def serve(path):
        if answer == "redirect":
            return 302, [("Location", "http://attacker.example/elsewhere")], b""
        if answer == "other page" or path not in files:
            return 200, [], b"<html>Not here</html>"
        with open(files[path], "rb") as handle:
            return 200, [], handle.read()
    server = Recorder(serve)
    try:
        host = "attacker.example:%d" % server.port
        status, page = call(environ_for(check_site, server.port, "/mtpy/cgi-bin/mt-check.cgi", HTTP_HOST=host,
                                        SERVER_ADDR="not-an-address"))     # falls back to 127.0.0.1
    finally:
        server.close()
    assert sorted(server.requests) == [("GET", "/mtpy/cgi-bin/mt.cfg", host), ("GET", "/mtpy/data/mtpy.db", host)]
    said = verdict(page)
    if exposed:
        assert 'id="not-ready"' in said and READY not in said
        assert ("The config cgi-bin/mt.cfg can be downloaded by anyone from "
                "/mtpy/cgi-bin/mt.cfg. Fix: keep the .htaccess that ships in cgi-bin/" in said)
        assert ("The store data/mtpy.db can be downloaded by anyone from /mtpy/data/mtpy.db. Fix: keep the data "
                "folder's .htaccess (Require all denied)" in said)
        assert said.index("The config cgi-bin/mt.cfg") < said.index("The store data/mtpy.db")
    else:
        assert 'id="ready"' in said


def test_no_server_to_ask_is_a_warning_not_a_block(check_site):
    status, page = call(environ_for(check_site, 1))     # nothing listens on port 1
    said = verdict(page)
    assert 'id="ready"' in said
    assert ("The config cgi-bin/mt.cfg: could not ask the web server (ConnectionRefusedError). Fix: open "
            "/cgi-bin/mt.cfg yourself: it must answer 403 or 404." in said)


def run_as_nobody(environ):
    """mt-check.cgi's application run as the user nobody: (status, unescaped page)."""
    code = ("import json, sys\nfrom mtpy.apps.check import application\nsaid = []\n"
            "body = b''.join(application(json.loads(sys.argv[1]), lambda s, h, e=None: said.append(s)))\n"
            "sys.stdout.write(said[0] + '\\n' + body.decode('utf-8'))\n")
    done = subprocess.run([need("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                           "-c", code, json.dumps(environ)], capture_output=True, text=True, timeout=60,
                          cwd="/", env={"PYTHONPATH": os.path.join(ROOT, "lib"), "PATH": os.environ["PATH"]})
    assert done.returncode == 0, done.stderr
    status, _, body = done.stdout.partition("\n")
    return status, html.unescape(body)


@pytest.fixture
def shared_tree(monkeypatch):
    """A site in a folder every user can read (not pytest's private tmp_path)."""
    monkeypatch.delenv("MT_CONFIG", raising=False)
    folder = tempfile.mkdtemp(prefix="mtpy-check-")
    os.chmod(folder, 0o755)
    site = Site(os.path.join(folder, "site"), "sqlite")
    yield site
    shutil.rmtree(folder, ignore_errors=True)


def check_as_another_user(site, read_only):
    """(user, status, page) of mt-check.cgi run by a user who cannot write
    `read_only` (paths in the site): as root, the user nobody in this tree
    root owns (modes do not stop root); else this user, the paths chmod 0555."""
    environ = environ_for(site, 1)
    if os.geteuid() == 0:
        return ("nobody",) + run_as_nobody(environ)
    import pwd
    for path in read_only:
        os.chmod(path, 0o555 if os.path.isdir(path) else 0o444)
    try:
        return (pwd.getpwuid(os.geteuid()).pw_name,) + call(environ)
    finally:
        for path in read_only:
            os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)


def test_unwritable_data_and_archive_folders_name_their_fix(shared_tree):
    """The scripts run as the web server's user, not as the owner of the files."""
    site = shared_tree
    data = os.path.join(site.folder, "data")
    os.chmod(data, 0o755)     # readable by others, as FTP uploads are
    user, status, page = check_as_another_user(site, [data, site.archives])
    said = verdict(page)
    assert status == "200 OK" and 'id="not-ready"' in said and READY not in said
    assert ("The data folder data/ is not writable by %s (Permission denied). Fix: chmod 777 it "
            "over FTP (SITE CHMOD 777), or ask your host to make it writable by %s; or set "
            "DataSource in mt.cfg to a folder %s can write." % (user, user, user)) in said
    assert ("The archive folder archives/ is not writable by %s (Permission denied). Fix: chmod 777 it over "
            "FTP" % user) in said
    assert said.index("The data folder") < said.index("The archive folder")
    if user == "nobody":
        assert ("The scripts run as nobody, not as the owner of cgi-bin/: the web server's user. What mtpy creates "
                "gets shared modes, files 0666 and folders 0777") in page


def test_store_made_by_the_owner_is_not_writable_by_the_scripts_user(shared_tree):
    """The folders opened with chmod 777, but the store still 0644, its owner's."""
    site = shared_tree
    database = os.path.join(site.folder, "data", "mtpy.db")
    for folder in (os.path.dirname(database), site.archives):
        os.chmod(folder, 0o777)
    user, status, page = check_as_another_user(site, [database])
    said = verdict(page)
    assert 'id="not-ready"' in said
    # Set up already: to a stranger, the scripts' user has no name.
    assert ("The store mtpy.db in the data folder is not writable by %s (Permission denied). Fix: chmod 666 "
            "mtpy.db over FTP, or ask your host to make it writable by %s." % (WEB_USER, WEB_USER)) in said
    assert "The data folder data/: writable." not in page and "The archive folder archives/: writable." in page


MOUNTINFO = ("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
             "40 22 0:50 / %s rw,relatime shared:30 - nfs4 files.example:/export rw,vers=4.2\n")


def test_nfs_warns_without_blocking(check_site):
    report = Report(check_site.folder, check_site.config_path, mounts_text=MOUNTINFO % check_site.folder)
    assert report.filesystem == "nfs4" and report.ready
    assert [(finding.what, finding.fix) for finding in report.warnings()] == [(
        "The data folder is on nfs4: SQLite's locking is unreliable there, and two pings at once can corrupt "
        "the store.", "set ObjectDriver flat (or postgres) in mt.cfg, or a DataSource on a local disk")]
    text = render_text(report)
    assert "Warnings:\n  - The data folder is on nfs4" in text and READY in text
    assert "SQLite's locking is unreliable there: use ObjectDriver flat or postgres." in text
    check_site.update_config("ObjectDriver flat\n")     # flat files lock with flock: no warning
    assert Report(check_site.folder, check_site.config_path, mounts_text=MOUNTINFO % check_site.folder
                  ).warnings() == []


def test_mount_tables_are_parsed():
    table = ("36 35 98:0 /mnt1 /home/my\\040site rw,noatime master:1 - cifs //server/share rw\n"
             "37 35 98:0 / /home/my\\040site/local rw - ext4 /dev/sdb rw\n")
    assert parse_mounts(table) == [("/home/my site", "cifs"), ("/home/my site/local", "ext4")]
    assert filesystem_type("/home/my site/data/not-there", table) == "cifs"
    assert filesystem_type("/home/my site/local/data", table) == "ext4"
    assert filesystem_type("/elsewhere", table) is None
    assert parse_mounts("server:/export /srv/www fuse.sshfs rw 0 0\n") == [("/srv/www", "fuse.sshfs")]


def test_invalid_config_names_file_and_line_but_not_the_value(check_site, refusing_server):
    check_site.update_config("Frobnicate 1\nDBPort s3cret-port\n")
    lines = open(check_site.config_path).read().splitlines()
    unknown, bad = lines.index("Frobnicate 1") + 1, lines.index("DBPort s3cret-port") + 1
    status, page = call(environ_for(check_site, refusing_server.port))
    assert "s3cret-port" not in page
    assert "Found cgi-bin/mt.cfg, NOT USABLE: line %d: bad value for DBPort" % bad in page
    said = verdict(page)
    assert ("The config cgi-bin/mt.cfg is not usable: line %d: bad value for "
            "DBPort. Fix: correct that line of mt.cfg" % bad) in said
    text = render_text(Report(check_site.folder, check_site.config_path))   # `mtpy check`: the owner's
    assert "bad value 's3cret-port' for DBPort" in text
    check_site.update_config("")
    with open(check_site.config_path) as handle:
        fixed = handle.read().replace("DBPort s3cret-port\n", "")
    with open(check_site.config_path, "w") as handle:
        handle.write(fixed)
    status, page = call(environ_for(check_site, refusing_server.port))
    assert ("cgi-bin/mt.cfg line %d: unknown directive Frobnicate (ignored) Fix: correct or remove that line."
            % unknown) in verdict(page)
    assert 'id="ready"' in verdict(page)


def test_problems_come_most_blocking_first(check_site, monkeypatch):
    monkeypatch.setattr(check.report, "MIN_PYTHON", (99, 0))
    monkeypatch.setitem(sys.modules, "jinja2", None)       # this Python has no jinja2
    monkeypatch.setitem(sys.modules, "filelock", None)
    blocked = os.path.join(check_site.folder, "not-a-folder")
    open(blocked, "w").close()
    check_site.update_config("ObjectDriver flat\nDataSource %s\n" % blocked)
    report = Report(check_site.folder, check_site.config_path)
    problems = [(finding.what, finding.fix) for finding in report.problems()]
    assert problems[0][0] == "Python %d.%d.%d is too old: mtpy needs 99.0 or newer." % sys.version_info[:3]
    assert problems[0][1].startswith("set the #! line of the scripts to a newer Python 3")
    assert problems[1][0] == "Missing required modules: jinja2, filelock (for ObjectDriver flat)."
    assert problems[2][0] == "The data folder %s/ is a file, not a folder." % blocked
    assert "Python version: %d.%d.%d (TOO OLD: mtpy needs 99.0+)" % sys.version_info[:3] in render_text(report)


def test_the_page_fits_a_phone(check_site, refusing_server, browser, monkeypatch):
    ready = render_html(Report(check_site.folder, check_site.config_path,
                               environ_for(check_site, refusing_server.port)))
    monkeypatch.setitem(sys.modules, "jinja2", None)
    not_ready = render_html(Report(check_site.folder, check_site.config_path,
                                   environ_for(check_site, refusing_server.port), mounts_text=MOUNTINFO
                                   % check_site.folder))
    page = browser.new_page(viewport={"width": 360, "height": 800})
    for content, state in ((ready, "ready"), (not_ready, "not-ready")):
        page.set_content(content)
        assert page.locator("#verdict #%s" % state).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, state      # long paths wrap


# docs/lighttpd.conf's rules that keep mt.cfg and the data folder from the web,
# and what a careless server has instead: the whole tree as its document root.
PROTECTIONS = {
    'server.document-root = var.mtpy + "/archives"': 'server.document-root = var.mtpy',
    '    $HTTP["url"] !~ "\\.cgi(/|$)" { url.access-deny = ("") }\n': '',
    'url.access-deny = (".cfg", ".db", ".log", "~", ".tmp")': 'url.access-deny = ("~")',
    '$HTTP["url"] =~ "(^|/)\\.|^/(data|lib|tmpl|extlib)/" { url.access-deny = ("") }': '',
}


def test_a_server_that_hands_out_the_config_and_store(tmp_path, monkeypatch):
    """Through lighttpd serving the whole installation, cgi-bin/ statically but
    for the scripts: mt-check.cgi fetches mt.cfg and mtpy.db and says so."""
    from conftest import lighttpd_config, wait_for_port
    monkeypatch.delenv("MT_CONFIG", raising=False)
    site = Site(tmp_path / "site", "sqlite", extra_config=SECRETS)
    text = lighttpd_config(site)
    for protection, careless in PROTECTIONS.items():
        assert protection in text, protection
        text = text.replace(protection, careless)
    path = os.path.join(site.folder, "careless.conf")
    with open(path, "w") as handle:
        handle.write(text)
    process = subprocess.Popen([need("lighttpd"), "-D", "-f", path], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for_port(site.port, process)
        from conftest import http
        assert http(site.base + "cgi-bin/mt.cfg").body == open(site.config_path, "rb").read()
        result = http(site.base + "cgi-bin/mt-check.cgi")
    finally:
        process.terminate()
        process.wait(timeout=10)
    page = html.unescape(result.text)
    said = verdict(page)
    assert 'id="not-ready"' in said and READY not in said
    assert ("The config cgi-bin/mt.cfg can be downloaded by anyone from /cgi-bin/mt.cfg. Fix: keep the .htaccess "
            "that ships in cgi-bin/ (it refuses mt.cfg)" in said)
    assert ("The store data/mtpy.db can be downloaded by anyone from /data/mtpy.db. Fix: keep the data folder's "
            ".htaccess (Require all denied)" in said)
    for secret in SECRET_VALUES:
        assert secret not in page
    assert os.path.join(site.folder, "data") not in page


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_dashboard_says_to_switch_it_off(cms):
    """mt.cgi tells a system administrator while mt-check.cgi answers; SystemCheck
    0 quiets both (mt-check.cgi answers 404 through the web server)."""
    from conftest import http
    site, client = cms
    notice = "mt-check.cgi is still on: delete it, or set SystemCheck 0 in mt.cfg."
    shown = html.unescape(re.sub(r"<[^>]+>", "", client.get("dashboard").text))
    assert notice in shown
    site.update_config("SystemCheck 0\n")
    assert notice not in html.unescape(re.sub(r"<[^>]+>", "", client.get("dashboard").text))
    switched_off = http(site.base + "cgi-bin/mt-check.cgi")
    assert switched_off.status == 404 and "Python" not in switched_off.text


@pytest.mark.parametrize("version, said, fix", [
    (1, "The store cannot be opened: it was made by an older mtpy.", "open mt.cgi, which upgrades it"),
    (999, "The store cannot be opened: it was made by a newer mtpy.", "upload that release of mtpy"),
])
def test_a_store_of_another_schema_names_its_fix(check_site, refusing_server, version, said, fix):
    import sqlite3
    database = sqlite3.connect(os.path.join(check_site.folder, "data", "mtpy.db"))
    database.execute("PRAGMA user_version = %d" % version)
    database.close()
    status, page = call(environ_for(check_site, refusing_server.port))
    assert "%s Fix: %s" % (said, fix) in verdict(page) and 'id="not-ready"' in verdict(page)
    assert check_site.folder not in verdict(page)
