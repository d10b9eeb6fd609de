"""A receiving script's application (mt-tb.cgi's by default) run as CGI in a
new process, reporting the modules it imported."""

import os
import subprocess
import sys

from support.environment import ROOT

PROBE = r"""
import io, os, sys
sys.path.insert(0, %(lib)r)
os.environ.update(%(environ)r, MT_CONFIG=%(config)r, REMOTE_ADDR="127.0.0.1")
sys.stdin = io.TextIOWrapper(io.BytesIO(%(body)r))
out = io.BytesIO()
sys.stdout = io.TextIOWrapper(out)
from %(module)s import %(app)s as Application
from mtpy.hosting import load, run_cgi
answering = os.getpid()
leave = os._exit

def report_then_leave(code):   # run_cgi leaves with os._exit once it has answered
    if os.getpid() == answering:
        sys.stdout.flush()
        sys.stderr.write(out.getvalue().decode() + "\nMODULES " + " ".join(sorted(sys.modules)))
        sys.stderr.flush()
    leave(code)

os._exit = report_then_leave
run_cgi(load(Application))
report_then_leave(0)
"""


PING = {"REQUEST_METHOD": "POST", "PATH_INFO": "/1", "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": "30"}


def run_probe(site, environ=PING, body=b"url=http://a.example/&title=hi", app="mtpy.apps.trackback:TrackbackApp"):
    """The application (mt-tb.cgi's unless `app` names another, "module:class")
    run as CGI in a new process: (its output, the modules it imported)."""
    module, _, name = app.partition(":")
    done = subprocess.run([sys.executable, "-c", PROBE % {
        "lib": os.path.join(ROOT, "lib"), "config": site.config_path, "environ": environ, "body": body,
        "module": module, "app": name}],
        capture_output=True, text=True, timeout=60)
    output, _, modules = done.stderr.rpartition("\nMODULES ")
    assert modules, done.stderr
    return output, set(modules.split())
