"""Real web servers in front of a Site: lighttpd (docs/lighttpd.conf), `mtpy
serve` and `mtpy serve --wsgi` (gunicorn); started on the site's port, stopped."""

import os
import socket
import subprocess
import sys
import time

from support.environment import FAKE_CLOCK, ROOT, need
from support.sites import with_fake_clock


# Set (tests/conftest.py) when the run leaves out tests marked `server`: a
# server started then is one the marker missed, and says so.
NO_SERVERS = "MTPY_TESTS_WITHOUT_SERVERS"


def wait_for_port(port, process, timeout=10):
    """Wait until the server `process` listens on `port` (every server's start
    does: tests/conftest.py marks `server` the tests that call it)."""
    if os.environ.get(NO_SERVERS):
        process.kill()
        process.wait(timeout=10)
        raise AssertionError("this test starts a web server but is not marked `server` (tests/conftest.py)")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited with %s" % process.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("server did not listen on %d" % port)


def lighttpd_config(site):
    with open(os.path.join(ROOT, "docs", "lighttpd.conf")) as handle:
        text = handle.read()
    text = text.replace('var.mtpy = "/home/you/mtpy"', 'var.mtpy = "%s"' % site.folder)
    text = text.replace(CGI_URL_PLACEHOLDER, local_cgi_url(site.port))
    return text.replace("var.port = 8080", "var.port = %d" % site.port)


# Where docs/*.conf say the address of cgi-bin/ (the headers of the weblog's pages).
CGI_URL_PLACEHOLDER = "http://www.example.com/cgi-bin/"


def local_cgi_url(port):
    return "http://127.0.0.1:%d/cgi-bin/" % port


def start_lighttpd(site):
    binary = need("lighttpd")
    path = os.path.join(site.folder, "lighttpd.conf")
    with open(path, "w") as handle:
        handle.write(lighttpd_config(site))
    process = subprocess.Popen([binary, "-D", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    return process


def start_mtpy_serve(site):
    cli = ["-m", "mtpy.cli"]
    if FAKE_CLOCK:   # it runs scripts with its own Python (sys.executable), in a clean environment
        cli = ["-c", "import sys; sys.executable = %r; from mtpy.cli import main; sys.exit(main())"
               % with_fake_clock(sys.executable, site.folder)]
    process = subprocess.Popen(
        [sys.executable] + cli + ["--config", site.config_path, "serve", "--port", str(site.port)],
        cwd=site.folder, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib")),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    return process


def start_wsgi_server(site):
    """`mtpy serve --wsgi`: the same applications in gunicorn's persistent workers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mtpy.cli", "--config", site.config_path, "serve", "--wsgi", "--workers", "2",
         "--port", str(site.port)],
        cwd=site.folder, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib")),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    return process


def stop(process, timeout=10):
    """End a server the test started: asked first, then killed."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        process.wait()


DOCS = os.path.join(ROOT, "docs")


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
LoadModule headers_module {modules}/mod_headers.so
LoadModule rewrite_module {modules}/mod_rewrite.so
TypesConfig /etc/mime.types
{mtpy}
"""


def run_apache(run, port, mtpy):
    """Apache on `port` with the main config above and `mtpy` (a file of docs/,
    its path set), its CGIs as www-data; its files in the folder `run`."""
    binary = need("apache2")
    os.makedirs(run, exist_ok=True)
    config = os.path.join(run, "httpd.conf")
    with open(config, "w") as handle:
        handle.write(APACHE_MAIN.format(port=port, run=run, modules="/usr/lib/apache2/modules", mtpy=mtpy))
    process = subprocess.Popen([binary, "-f", config, "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for_port(port, process)
    except RuntimeError:
        raise RuntimeError(process.stderr.read().decode(errors="replace"))
    return process


def docs_file(name, *replacements):
    with open(os.path.join(DOCS, name)) as handle:
        text = handle.read()
    for old, new in replacements:
        assert old in text, (name, old)
        text = text.replace(old, new)
    return text


def start_apache(site):
    """Apache serving an installation with docs/apache.conf, its CGIs running as
    www-data (the installation is handed to www-data; mt.cfg stays root's,
    readable), as on a host; its run folder beside the installation."""
    run = os.path.join(os.path.dirname(site.folder), "run")
    subprocess.run(["chown", "-R", "www-data:www-data", site.folder], check=True)
    subprocess.run(["chown", "root:root", site.config_path], check=True)
    os.chmod(site.config_path, 0o644)
    process = run_apache(run, site.port, docs_file("apache.conf", ("Define MTPY /home/you/mtpy",
                                                                   "Define MTPY %s" % site.folder)))
    site.error_log = os.path.join(run, "error.log")
    return process
