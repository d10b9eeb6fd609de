"""Real web servers in front of a Site: lighttpd (docs/lighttpd.conf), `mtpy
serve` and `mtpy serve --wsgi` (gunicorn); started on the site's port, stopped."""

import os
import socket
import subprocess
import sys
import time

from support.environment import FAKE_CLOCK, ROOT, need
from support.sites import with_fake_clock


def wait_for_port(port, process, timeout=10):
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
    return text.replace("var.port = 8080", "var.port = %d" % site.port)


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
        process.wait()
