"""The web server configurations docs/servers.md points at: they are the files in docs/,
and they run mtpy under lighttpd, Apache (its configuration, or only the
.htaccess files where the whole release sits inside the web root) and nginx with
fcgiwrap, the scripts as www-data as on a real host, without ever handing out
mt.cfg, the data or mtpy's own files. Each serves a release tree (tools/dist.py)
installed as its owner would: the store made by another user than www-data."""

import os
import pwd
import shutil
import signal
import subprocess
import tempfile

import pytest

from conftest import (ROOT, Site, free_port, http, lighttpd_config, need, start_lighttpd, wait_for,
                      wait_for_port)
from support.http import SUCCESS, error_doc, post
from support.servers import CGI_URL_PLACEHOLDER, DOCS, docs_file, run_apache
from support.http import SPOOFED_SPELLINGS, spoofed_ping
from support.release import release_mtpy

NOT_ALLOWED = error_doc("You are not allowed to send TrackBack pings.")


@pytest.mark.parametrize("name", ["lighttpd.conf", "apache.conf", "apache-htaccess.conf", "nginx.conf",
                                  "lighttpd-fastcgi.conf", "apache-fcgid.conf", "apache-passenger.conf"])
def test_the_servers_page_points_at_the_tested_configuration(name):
    """docs/servers.md sends readers to the tested file itself rather than a copy
    that could drift from it; tests/test_docs.py checks that the link resolves."""
    assert os.path.isfile(os.path.join(DOCS, name))
    with open(os.path.join(DOCS, "servers.md")) as handle:
        assert "[`%s`](%s)" % (name, name) in handle.read()


def test_lighttpd_denies_everything_but_scripts_and_pages(tmp_path):
    site = Site(tmp_path / "site", "sqlite")
    for name, text in (("data/stray.txt", "x"), ("cgi-bin/notes.txt", "secret"), ("archives/.hidden", "h"),
                       ("archives/page.html", "<p>ok</p>")):
        path = os.path.join(site.folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
    process = start_lighttpd(site)
    try:
        assert http(site.base + "page.html").text == "<p>ok</p>"
        for path in ("cgi-bin/mt.cfg", "cgi-bin/notes.txt", ".hidden", "cgi-bin/mt-tb.cgi~",
                     "data/mtpy.db", "../data/mtpy.db", "cgi-bin/../data/mtpy.db"):
            assert http(site.base + path).status in (403, 404), path
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the release, installed as its owner would, under each server -----------------


class Installation:
    """The release installed by its owner (root here, whose files stay root's):
    in its own folder (`in_web_root`: inside a web root, served at /mtpy/), with
    a mt.cfg, data/ and archives/ opened with `chmod 777` as the README says, and
    a weblog with entries made with the release's own `mtpy` on the host's
    Python. The scripts then run as www-data: not the owner of the store."""

    def __init__(self, release, in_web_root=False):
        self.top = tempfile.mkdtemp(prefix="mtpy-server-")
        os.chmod(self.top, 0o755)
        self.webroot = os.path.join(self.top, "www")
        self.folder = os.path.join(self.webroot if in_web_root else self.top, "mtpy")
        self.release = release
        self.run = os.path.join(self.top, "run")
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        self.url = self.base + ("mtpy/" if in_web_root else "")        # where the folder's files would be
        self.cgi_url = self.url + "cgi-bin/" if in_web_root else self.base + "cgi-bin/"
        self.archives_url = self.url + "archives/" if in_web_root else self.base
        self.error_log = os.path.join(self.run, "error.log")
        self.processes = []

    def install(self):
        shutil.copytree(self.release, self.folder, symlinks=True)
        os.makedirs(self.run)
        with open(os.path.join(self.folder, "cgi-bin", "mt.cfg"), "w") as handle:
            handle.write("CGIPath %s\nMailTransfer debug\nOneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\n"
                         % self.cgi_url)
        archives = os.path.join(self.folder, "archives")
        for folder in (os.path.join(self.folder, "data"), archives):
            os.makedirs(folder, exist_ok=True)
            os.chmod(folder, 0o777)
        commands = [["init", "--admin", "Melody", "--email", "melody@example.com"],
                    ["blog", "create", "--name", "W", "--site-url", self.archives_url, "--site-path", archives,
                     "--archive-url", self.archives_url, "--archive-path", archives],
                    ["import", "--blog", "1", os.path.join(ROOT, "tests", "data", "mt-export-sample.txt")],
                    ["rebuild", "--blog", "1"]]
        result = release_mtpy(self.folder, commands)
        assert result.returncode == 0, result.stderr.decode(errors="replace")

    def start(self, command, **options):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   start_new_session=True, **options)
        self.processes.append(process)
        return process

    def log(self):
        try:
            with open(self.error_log, errors="replace") as handle:
                return handle.read()
        except OSError:
            return ""

    def close(self):
        for process in reversed(self.processes):
            try:
                if os.getpgid(process.pid) == process.pid:
                    os.killpg(process.pid, signal.SIGTERM)     # with what it started: fcgiwrap's children
                else:
                    process.terminate()
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        shutil.rmtree(self.top, ignore_errors=True)


def serve_with_apache(installation):
    installation.processes.append(run_apache(installation.run, installation.port, docs_file(
        "apache.conf", ("Define MTPY /home/you/mtpy", "Define MTPY %s" % installation.folder),
        (CGI_URL_PLACEHOLDER, installation.cgi_url))))


def serve_with_apache_htaccess(installation):
    # The host's part sets no body limit: cgi-bin/.htaccess, uploaded with the scripts, does.
    assert "LimitRequestBody" not in docs_file("apache-htaccess.conf")
    installation.processes.append(run_apache(installation.run, installation.port, docs_file(
        "apache-htaccess.conf", ("Define WEBROOT /home/you/public_html", "Define WEBROOT %s" % installation.webroot))))


def serve_with_lighttpd(installation):
    """docs/lighttpd.conf, started as root and running its CGIs as www-data (who
    writes its error log)."""
    binary = need("lighttpd")
    shutil.chown(installation.run, "www-data", "www-data")
    config = os.path.join(installation.run, "lighttpd.conf")
    with open(config, "w") as handle:
        handle.write(lighttpd_config(installation).replace(
            'server.errorlog = var.mtpy + "/lighttpd-error.log"', 'server.errorlog = "%s"' % installation.error_log))
        handle.write('server.username = "www-data"\nserver.groupname = "www-data"\n')
    wait_for_port(installation.port, installation.start([binary, "-D", "-f", config]))


NGINX_MAIN = """\
daemon off;
user www-data;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {run}/body;
    fastcgi_temp_path {run}/fastcgi;
    proxy_temp_path {run}/proxy;
    uwsgi_temp_path {run}/uwsgi;
    scgi_temp_path {run}/scgi;
    include {run}/mtpy.conf;
}}
"""


def serve_with_nginx(installation):
    """docs/nginx.conf under nginx (workers as www-data), the scripts run by
    fcgiwrap as www-data on a unix socket, as Debian's fcgiwrap package does."""
    binary, spawn = need("nginx"), need("spawn-fcgi")
    fcgiwrap = need("fcgiwrap")
    run, socket = installation.run, os.path.join(installation.run, "fcgiwrap.socket")
    fastcgi = installation.start([spawn, "-n", "-u", "www-data", "-g", "www-data", "-U", "www-data", "-G", "www-data",
                                  "-s", socket, "--", fcgiwrap, "-c", "3"])
    wait_for(lambda: os.path.exists(socket) or fastcgi.poll() is not None, seconds=10)
    assert fastcgi.poll() is None, fastcgi.stderr.read()
    shutil.copy("/etc/nginx/fastcgi_params", os.path.join(run, "fastcgi_params"))
    with open(os.path.join(run, "mtpy.conf"), "w") as handle:
        handle.write(docs_file("nginx.conf", ("set $mtpy /home/you/mtpy;", "set $mtpy %s;" % installation.folder),
                               ("listen 127.0.0.1:8080;", "listen 127.0.0.1:%d;" % installation.port),
                               (CGI_URL_PLACEHOLDER, installation.cgi_url),
                               ("unix:/run/fcgiwrap.socket", "unix:" + socket)))
    with open(os.path.join(run, "nginx.conf"), "w") as handle:
        handle.write(NGINX_MAIN.format(run=run))
    try:
        wait_for_port(installation.port, installation.start([binary, "-p", run, "-c", os.path.join(run, "nginx.conf")]))
    except RuntimeError:
        raise RuntimeError(installation.log())


SERVED = {"apache": (serve_with_apache, False), "apache-htaccess": (serve_with_apache_htaccess, True),
          "lighttpd": (serve_with_lighttpd, False), "nginx-fcgiwrap": (serve_with_nginx, False)}
# What no server may hand out, from the installation's folder (where it is inside
# the web root) or from the site's root.
GUARDED = ["cgi-bin/mt.cfg", "cgi-bin/mt.cfg-original", "cgi-bin/.htaccess", "cgi-bin/mt-tb.cgi~", "data/",
           "data/mtpy.db", "data/.htaccess", "cgi-bin/../data/mtpy.db", "cgi-bin/%2e%2e/data/mtpy.db",
           "lib/mtpy/config.py", "lib/", "extlib/jinja2/__init__.py", "tmpl/README.md", "docs/apache.conf", "docs/servers.md",
           "cgi-bin/../lib/mtpy/__init__.py", "archives/../cgi-bin/mt.cfg",
           # The release's own files, and its folder's listing (the .htaccess layout's root).
           "README.md", "CHANGELOG.md", "SECURITY.md", "passenger_wsgi.py", ".htaccess", "archives/.htaccess", ""]
BODY_LIMIT = 1048576        # every shipped layout refuses larger bodies before a script reads them


@pytest.mark.parametrize("server", sorted(SERVED))
def test_the_release_takes_pings_as_www_data_and_guards_its_files(release_tree, server):
    if os.geteuid() != 0:
        pytest.skip("the servers are started as root here, their scripts run as www-data")
    serve, in_web_root = SERVED[server]
    installation = Installation(release_tree, in_web_root)
    try:
        installation.install()
        serve(installation)
        title = "Via %s" % server
        result = post(installation.cgi_url + "mt-tb.cgi/1", {"url": "http://other.example/p", "title": title})
        assert result.text == SUCCESS, installation.log()
        assert post(installation.cgi_url + "mt-tb.cgi/1", {"url": "http://other.example/p"}).text == SUCCESS
        assert title in http(installation.archives_url + "1.xml").text
        feed = os.stat(os.path.join(installation.folder, "archives", "1.xml"))
        assert feed.st_uid == pwd.getpwnam("www-data").pw_uid and feed.st_mode & 0o777 == 0o666
        rdf = http(installation.archives_url + "index.rdf")      # RSS 1.0 as RDF, not a download
        assert rdf.status == 200 and rdf.headers["Content-Type"].split(";")[0] == "application/rdf+xml", rdf.headers
        check = http(installation.cgi_url + "mt-check.cgi")
        assert check.status == 200 and "mtpy System Check" in check.text, installation.log()
        store = os.path.join(installation.folder, "data", "mtpy.db")
        assert os.stat(store).st_uid == 0 and os.stat(store).st_mode & 0o777 == 0o666  # root's, shared
        for base in {installation.url, installation.base}:
            for path in GUARDED:
                if not (path == "" and base == installation.base):       # the site's root is the weblog
                    assert http(base + path).status in (403, 404), base + path
        too_big = http(installation.cgi_url + "mt-tb.cgi/1", data=b"url=http://other.example/&x=" + b"x" * BODY_LIMIT)
        assert too_big.status == 413, installation.log()
        assert_spoofed_spellings_are_dropped(installation)
        assert_pingback_and_webmention_are_announced_and_taken(installation, server)
    finally:
        installation.close()


# The layouts whose configuration sends the Pingback and Webmention headers on
# the weblog's pages (a .htaccess cannot know CGIPath: its pages have their
# <link> elements only).
ANNOUNCING = ("apache", "lighttpd", "nginx-fcgiwrap")
# The layouts whose configuration answers 410 Gone for a deleted entry's page
# (its tombstone has a marker beside it); lighttpd's modules cannot test for a
# file, and a .htaccess layout leaves mod_rewrite to the host: the page itself
# says 410 in a <meta http-equiv="Status">.
ANSWERING_GONE = ("apache", "nginx-fcgiwrap")


def assert_pingback_and_webmention_are_announced_and_taken(installation, server):
    """The weblog's pages carry X-Pingback and Link rel="webmention" (for a
    HEAD too, as WordPress asks), and mt-pingback.cgi and mt-webmention.cgi
    run as CGI scripts beside mt-tb.cgi."""
    import xmlrpc.client
    page = installation.archives_url + "000001.html"
    for answer in (http(page), http(page, method="HEAD"), http(installation.archives_url)):
        assert answer.status == 200, (page, installation.log())
        announced = (answer.headers.get("X-Pingback"), answer.headers.get("Link"))
        if server in ANNOUNCING:
            assert announced == (installation.cgi_url + "mt-pingback.cgi",
                                 '<%smt-webmention.cgi>; rel="webmention"' % installation.cgi_url), announced
        else:
            assert announced == (None, None)
    feed = http(installation.archives_url + "1.xml")        # a page, not a feed
    assert feed.status == 200 and feed.headers.get("X-Pingback") is None
    from mtpy.publish.tombstone import GONE_SUFFIX, TOMBSTONE
    tombstone = os.path.join(installation.folder, "archives", "000009.html")
    for path, text in ((tombstone, TOMBSTONE % "W"), (tombstone + GONE_SUFFIX, "")):
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, 0o644)
    gone = http(installation.archives_url + "000009.html")
    assert gone.status == (410 if server in ANSWERING_GONE else 200), (server, gone.status)
    call = xmlrpc.client.dumps(("http://other.example/pingback", page), "pingback.ping").encode()
    answer = http(installation.cgi_url + "mt-pingback.cgi", data=call, headers={"Content-Type": "text/xml"})
    assert "registered" in xmlrpc.client.loads(answer.body)[0][0], installation.log()
    answer = post(installation.cgi_url + "mt-webmention.cgi", {"source": "http://other.example/mention", "target": page})
    assert answer.status == 202, (answer.text, installation.log())


def assert_spoofed_spellings_are_dropped(installation):
    """Behind a trusted proxy, a ban on 10.9.9.9 holds when the client sends a
    header of its own spelled with other punctuation before the proxy's: the
    server drops it (lighttpd by docs/lighttpd.conf's list), so mtpy never reads
    198.51.100.50 (a refused ping is stored nowhere)."""
    with open(os.path.join(installation.folder, "cgi-bin", "mt.cfg"), "a") as handle:
        handle.write("TransparentProxyIPs 127.0.0.1\n")
    result = release_mtpy(installation.folder, [["ipban", "add", "--blog", "1", "10.9.9.9"]])
    assert result.returncode == 0, result.stderr
    path = (installation.cgi_url + "mt-tb.cgi/1")[len(installation.base) - 1:].encode()
    # Two spellings, each before the proxy's: every server drops them by one rule
    # (test_receiver_hardening tries them all under lighttpd and `mtpy serve`).
    for n, spelling in enumerate(SPOOFED_SPELLINGS[:2]):
        status, answer = spoofed_ping(installation.port, path, b"http://spoof.example/%d" % n, spelling)
        assert (status, answer) == (200, NOT_ALLOWED), (spelling, installation.log())
