"""mt-check.cgi: reports what this host has and lacks. Standard library only."""

import os

from mtpy import web
from mtpy.check import Report, render_html


def application(environ, start_response):
    script = environ.get("SCRIPT_FILENAME") or ""
    install_root = os.path.dirname(os.path.dirname(os.path.realpath(script))) if script else None
    report = Report(install_root)
    system_only = "sys-check" in environ.get("QUERY_STRING", "").split("&")
    return web.Response(render_html(report, system_only))(environ, start_response)
