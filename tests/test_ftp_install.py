"""Installing as a shared host's owner does, with nothing but an FTP account: the
release `make dist` builds is unpacked, uploaded with an FTP client (binary mode,
folders made one by one, `SITE CHMOD 755` on the scripts) to a pyftpdlib server,
and a real web server runs the uploaded scripts with their `#!/usr/bin/env python3`
line as shipped, on Debian's own Python: everything mtpy needs beyond the
standard library comes from the release's extlib/. Then, in headless Chromium,
mt-check.cgi says ready, mt.cgi's first visit sets up the weblog (with the set-up
key downloaded over FTP), an entry is published, and a ping to it is stored and
shown on the entry's page.

Walked twice, as the README's two kinds of host: the scripts run as the owner
(FTP and lighttpd as one user), and as the web server's user (FTP as an account
of its own, lighttpd's CGIs as www-data, cgi-bin/ not theirs to write; README
steps 4 and 5: data/ and archives/ opened with SITE CHMOD 777, mt.cfg-original
uploaded again as mt.cfg)."""

import ftplib
import importlib.util
import io
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile

import pytest

from conftest import IN_CI, free_port, http, lighttpd_config, need, wait_for, wait_for_port
from mtpy.check import READY
from support.http import SUCCESS, post

FTP_USER, FTP_PASSWORD = "owner", "ftp-secret-1"
WEB_USER, OWNER = 33, 4321     # www-data; the FTP account's uid where it is not the web server's
# A folder of the host's own programs only: `env` must find Debian's python3 there,
# never the test run's virtualenv, whose packages would hide a missing extlib/.
HOST_PATH = "/usr/bin:/bin"

FTP_SERVER = """
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

home, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
authorizer = DummyAuthorizer()
# e l r: list and read; a d f m w: write, delete, rename, make folders, store; M: SITE CHMOD.
authorizer.add_user(user, password, home, perm="elradfmwM")
FTPHandler.authorizer = authorizer
FTPServer(("127.0.0.1", port), FTPHandler).serve_forever(timeout=0.5, handle_exit=True)
"""


class Host:
    """The account's home folder, served over FTP and, once uploaded, over HTTP."""

    def __init__(self, home, as_web_user=False):
        self.home = str(home)
        self.as_web_user = as_web_user
        self.folder = os.path.join(self.home, "mtpy")     # where the owner uploads the release
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        self.processes = []

    def start_ftp(self):
        if importlib.util.find_spec("pyftpdlib") is None:
            message = "pyftpdlib is not installed (pip install -e '.[test]')"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        port = free_port()
        account = []
        if self.as_web_user:        # the FTP account is a user of its own: what it uploads is not www-data's
            os.chown(self.home, OWNER, OWNER)
            account = ["setpriv", "--reuid=%d" % OWNER, "--regid=%d" % OWNER, "--clear-groups"]
        process = subprocess.Popen(account + [sys.executable, "-c", FTP_SERVER, self.home, str(port), FTP_USER,
                                              FTP_PASSWORD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(process)
        wait_for_port(port, process)
        return port

    def start_lighttpd(self):
        """docs/lighttpd.conf serving the uploaded tree, started with a host's PATH."""
        binary = need("lighttpd")
        path = os.path.join(self.home, "lighttpd.conf")
        with open(path, "w") as handle:
            handle.write(lighttpd_config(self))
            if self.as_web_user:    # started as root, lighttpd runs itself and the CGIs as www-data
                handle.write('server.username = "www-data"\nserver.groupname = "www-data"\n')
        if self.as_web_user:        # the host's own log, which www-data writes (lighttpd opens it as www-data)
            log = os.path.join(self.folder, "lighttpd-error.log")
            open(log, "a").close()
            os.chown(log, WEB_USER, WEB_USER)
        process = subprocess.Popen([binary, "-D", "-f", path], env={"PATH": HOST_PATH},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.processes.append(process)
        wait_for_port(self.port, process)

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    def error_log(self):
        path = os.path.join(self.folder, "lighttpd-error.log")
        return open(path, errors="replace").read() if os.path.exists(path) else ""


def upload(ftp, local, remote):
    """What an FTP client's "upload folder" does: MKD, then STOR each file in binary mode."""
    ftp.mkd(remote)
    for name in sorted(os.listdir(local)):
        path, target = os.path.join(local, name), remote + "/" + name
        if os.path.isdir(path):
            upload(ftp, path, target)
        else:
            with open(path, "rb") as handle:
                ftp.storbinary("STOR " + target, handle)


def same_files(one, other):
    """Whether the two folders hold the same files with the same bytes."""
    def contents(top):
        found = {}
        for folder, _, files in os.walk(top):
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, top)] = handle.read()
        return found
    return contents(one) == contents(other)


def download(ftp, remote):
    data = io.BytesIO()
    ftp.retrbinary("RETR " + remote, data.write)
    return data.getvalue()


@pytest.fixture(params=["scripts-as-owner", "scripts-as-www-data"])
def host(request):
    as_web_user = request.param == "scripts-as-www-data"
    if as_web_user and (os.geteuid() != 0 or not shutil.which("setpriv")):
        pytest.skip("needs root (lighttpd's server.username) and setpriv (the FTP account)")
    folder = tempfile.mkdtemp(prefix="mtpy-host-")
    os.chmod(folder, 0o755)         # www-data must reach the tree (pytest's tmp_path is root's alone)
    made = Host(os.path.join(folder, "home"), as_web_user)
    os.makedirs(made.home)
    try:
        yield made
    finally:
        made.stop()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_release_uploaded_over_ftp_installs_and_takes_pings(release, host, tmp_path, browser):  # noqa: F811
    if not os.path.exists("/usr/bin/python3"):
        pytest.skip("no /usr/bin/python3: the host's Python here is Debian's")
    config_path = os.path.join(host.folder, "cgi-bin", "mt.cfg")
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(release.zip) as archive:
        archive.extractall(str(unpacked))     # like most unzip tools, without the archive's modes
    [tree] = os.listdir(str(unpacked))

    with ftplib.FTP() as ftp:
        host.ftp_port = host.start_ftp()
        ftp.connect("127.0.0.1", host.ftp_port, timeout=30)
        ftp.login(FTP_USER, FTP_PASSWORD)
        upload(ftp, str(unpacked / tree), "mtpy")
        scripts = sorted(os.path.basename(name) for name in ftp.nlst("mtpy/cgi-bin") if name.endswith(".cgi"))
        assert scripts == ["mt-check.cgi", "mt-pingback.cgi", "mt-tb.cgi", "mt-webmention.cgi", "mt.cgi"]
        assert not os.stat(os.path.join(host.folder, "cgi-bin", "mt.cgi")).st_mode & stat.S_IXUSR
        for name in scripts:
            assert ftp.sendcmd("SITE CHMOD 755 mtpy/cgi-bin/" + name).startswith("200")
        if host.as_web_user:
            ftp.mkd("mtpy/data")                                                # README step 4
            for folder in ("data", "archives"):
                assert ftp.sendcmd("SITE CHMOD 777 mtpy/" + folder).startswith("200")
            sample = download(ftp, "mtpy/cgi-bin/mt.cfg-original")             # README step 5
            ftp.storbinary("STOR mtpy/cgi-bin/mt.cfg", io.BytesIO(sample))
    if host.as_web_user:
        cgi_bin = os.stat(os.path.join(host.folder, "cgi-bin"))
        assert (cgi_bin.st_uid, cgi_bin.st_mode & 0o777) == (OWNER, 0o755)     # not www-data's to write
    for name in scripts:
        assert os.stat(os.path.join(host.folder, "cgi-bin", name)).st_mode & 0o777 == 0o755
    if not host.as_web_user:
        assert same_files(str(unpacked / tree), host.folder)    # binary mode: not a byte changed
    cgi_bin_before = sorted(os.listdir(os.path.join(host.folder, "cgi-bin")))

    host.start_lighttpd()
    page = browser.new_page()
    answer = page.goto(host.base + "cgi-bin/mt-check.cgi", timeout=30000)
    assert answer.status == 200, host.error_log()
    page.screenshot(path=str(tmp_path / "mt-check.png"), full_page=True)
    assert page.locator("#ready").inner_text() == READY and page.locator("#not-ready").count() == 0
    shown = page.content()
    # Debian's Python, as `env` found it (lighttpd gives CGIs no PATH: env's own
    # default, /bin:/usr/bin), never the test run's.
    host_python = subprocess.run(["/usr/bin/python3", "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
    assert "<code>%s</code>" % host_python in shown
    assert sys.prefix not in shown and ".venv" not in shown
    assert "<code>%s</code>" % os.path.join(host.folder, "lib", "mtpy") in shown

    page.goto(host.base + "cgi-bin/mt.cgi", timeout=30000)
    assert page.locator("h1").inner_text() == "Welcome to mtpy", host.error_log()
    assert page.input_value("#site_url") == host.base
    assert page.locator(".key-file").inner_text() == "data/setup-key.txt"
    with ftplib.FTP() as ftp:
        ftp.connect("127.0.0.1", host.ftp_port, timeout=30)
        ftp.login(FTP_USER, FTP_PASSWORD)
        key = download(ftp, "mtpy/data/setup-key.txt").decode()
    for field, value in (("#setup_key", key), ("#author_name", "Ada"), ("#email", "ada@example.com"),
                         ("#password", "correct horse 1"), ("#password_again", "correct horse 1"),
                         ("#blog_name", "Uploaded Weblog")):
        page.fill(field, value)
    page.click("text=Create my weblog")
    page.wait_for_load_state(timeout=30000)
    assert "Your weblog is ready" in page.content(), host.error_log()
    # Set-up wrote nothing in cgi-bin/, and spent its key.
    assert sorted(os.listdir(os.path.join(host.folder, "cgi-bin"))) == cgi_bin_before
    assert not os.path.exists(os.path.join(host.folder, "data", "setup-key.txt"))

    page.click("text=New entry")
    page.fill("#title", "Installed over FTP")
    page.fill("#body", "Nothing but an FTP account.")
    page.select_option("#status", "Publish")
    page.click("text=Save entry")
    page.wait_for_load_state(timeout=30000)
    permalink = page.locator("a.url").get_attribute("href")
    ping_url = page.locator(".trackback-url").inner_text().strip()
    assert permalink.startswith(host.base) and ping_url.startswith(host.base + "cgi-bin/mt-tb.cgi/")
    wait_for(lambda: http(permalink).status == 200)                     # published after the answer
    assert 'trackback:ping="%s"' % ping_url in http(permalink).text     # absolute: others can ping it

    pinged = post(ping_url, {"url": "http://remote.example/reply", "title": "A reply from afar",
                             "excerpt": "Read it", "blog_name": "Remote Weblog"})
    assert pinged.text == SUCCESS, host.error_log()
    wait_for(lambda: "A reply from afar" in http(permalink).text)      # republished after the ping
    page.goto(permalink, timeout=30000)
    ping = page.locator(".trackback-body")
    assert ping.count() == 1 and "A reply from afar" in ping.inner_text()
    assert "Remote Weblog" in ping.inner_text()
    page.screenshot(path=str(tmp_path / "entry.png"), full_page=True)

    from mtpy.config import Config
    from mtpy.store import open_store
    from mtpy.models import Author, Blog
    config = Config(config_path) if host.as_web_user else Config(config_path, text="")
    store = open_store(config)
    try:
        [author], [blog] = store.find(Author), store.find(Blog)
        [stored] = store.list_pings(tb_id=int(ping_url.rsplit("/", 1)[1]))
    finally:
        store.close()
    assert author.name == "Ada" and author.is_admin and blog.name == "Uploaded Weblog"
    assert stored.title == "A reply from afar" and stored.source_url == "http://remote.example/reply"
