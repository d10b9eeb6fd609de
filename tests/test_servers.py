"""The web server configurations the README shows: they are the files in docs/,
and they run mtpy under lighttpd and Apache (CGIs as www-data, as on a real host)
without ever handing out mt.cfg or the data."""

import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT, Site, http, need, start_lighttpd, wait_for_port
from test_ping_protocol import SUCCESS, post

DOCS = os.path.join(ROOT, "docs")


@pytest.mark.parametrize("name", ["lighttpd.conf", "apache.conf"])
def test_readme_shows_the_tested_configuration(name):
    with open(os.path.join(DOCS, name)) as handle:
        config = handle.read()
    with open(os.path.join(ROOT, "README.md")) as handle:
        assert config.strip() in handle.read()


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


APACHE_MAIN = """\
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {run}/httpd.pid
ErrorLog {run}/error.log
ScriptSock {run}/cgisock
DefaultRuntimeDir {run}
Mutex file:{run}
User www-data
Group www-data
LoadModule mpm_event_module {modules}/mod_mpm_event.so
LoadModule authz_core_module {modules}/mod_authz_core.so
LoadModule mime_module {modules}/mod_mime.so
LoadModule alias_module {modules}/mod_alias.so
LoadModule cgid_module {modules}/mod_cgid.so
LoadModule dir_module {modules}/mod_dir.so
TypesConfig /etc/mime.types
{mtpy}
"""


def start_apache(site):
    """Apache serving an installation with docs/apache.conf, its CGIs running as
    www-data (the installation is handed to www-data; mt.cfg stays root's,
    readable), as on a host; its run folder beside the installation."""
    binary = need("apache2")
    run = os.path.join(os.path.dirname(site.folder), "run")
    os.makedirs(run)
    subprocess.run(["chown", "-R", "www-data:www-data", site.folder], check=True)
    subprocess.run(["chown", "root:root", site.config_path], check=True)
    os.chmod(site.config_path, 0o644)
    with open(os.path.join(DOCS, "apache.conf")) as handle:
        mtpy = handle.read().replace("Define MTPY /home/you/mtpy", "Define MTPY %s" % site.folder)
    config = os.path.join(run, "httpd.conf")
    with open(config, "w") as handle:
        handle.write(APACHE_MAIN.format(port=site.port, run=run, modules="/usr/lib/apache2/modules", mtpy=mtpy))
    process = subprocess.Popen([binary, "-f", config, "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for_port(site.port, process)
    except RuntimeError:
        raise RuntimeError(process.stderr.read().decode(errors="replace"))
    site.error_log = os.path.join(run, "error.log")
    return process


@pytest.fixture
def apache_site():
    """An installation www-data can read (not under /root or pytest's 0700 tmp),
    with the system Python in the `#!` line: the ping path needs only the standard
    library with SQLite."""
    if os.geteuid() != 0:
        pytest.skip("Apache is started as root here, its CGIs run as www-data")
    folder = tempfile.mkdtemp(prefix="mtpy-apache-")
    os.chmod(folder, 0o755)
    site = Site(os.path.join(folder, "site"), "sqlite", python="/usr/bin/python3", copy_lib=True)
    process = start_apache(site)
    try:
        yield site
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def test_apache_runs_pings_as_www_data(apache_site):
    site = apache_site
    result = post(site.ping_url(), {"url": "http://other.example/p", "title": "Via Apache"})
    assert result.text == SUCCESS, open(site.error_log).read()
    store = site.store()
    [ping] = store.list_pings(tb_id=site.item.id)
    store.close()
    assert ping.title == "Via Apache"
    feed_path = os.path.join(site.archives, "%d.xml" % site.item.id)
    assert "Via Apache" in open(feed_path).read()
    assert "Via Apache" in http(site.base + "%d.xml" % site.item.id).text
    throttle = post(site.ping_url(), {"url": "http://other.example/p"})    # a repeat: success
    assert throttle.text == SUCCESS
    for path in ("cgi-bin/mt.cfg", "cgi-bin/../data/mtpy.db", "data/mtpy.db", ".hidden"):
        assert http(site.base + path).status in (403, 404), path
