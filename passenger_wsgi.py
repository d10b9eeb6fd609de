"""passenger_wsgi.py: mtpy under Phusion Passenger (and other servers that load
a WSGI `application` from the installation's root). Requests for a path ending
in one of the scripts' names (mt.cgi, mt-tb.cgi, mt-pingback.cgi,
mt-webmention.cgi, mt-check.cgi; with what follows it, as in a ping's
`mt-tb.cgi/5`) go to that script's application, kept in memory and rebuilt when
cgi-bin/mt.cfg changes; the weblog's pages are the web server's to serve."""

import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[0:0] = [os.path.join(HERE, "lib"), os.path.join(HERE, "extlib")]

from mtpy import web  # noqa: E402
from mtpy.hosting.fastcgi import WorkInBackground  # noqa: E402
from mtpy.hosting.scripts import ScriptApplication  # noqa: E402

CGI_BIN = os.path.join(HERE, "cgi-bin")
SCRIPTS = {name: ScriptApplication(name, CGI_BIN) for name in ScriptApplication.SCRIPTS}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    parts = path.split("/")
    for index, part in enumerate(parts):
        if part in SCRIPTS:
            script_path = "/".join(parts[:index + 1])
            environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "").rstrip("/") + script_path,
                           PATH_INFO=path[len(script_path):], SCRIPT_FILENAME=os.path.join(CGI_BIN, part))
            # Passenger ends the response only after close(): the work after a ping
            # (republishing) goes to a process of its own, as under CGI.
            return WorkInBackground(SCRIPTS[part](environ, start_response))
    return web.Response("Not found.\n", "text/plain; charset=utf-8", web.STATUS_TEXT[404])(environ, start_response)
