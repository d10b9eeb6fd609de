"""mt-check.cgi: reports what this host has and lacks. Standard library only."""

import os

from mtpy import web
from mtpy.check import Report, render_html
from mtpy.config import find_config_path


def application(environ, start_response):
    script = environ.get("SCRIPT_FILENAME") or ""
    script_dir = os.path.dirname(os.path.realpath(script)) if script else None
    install_root = os.path.dirname(script_dir) if script_dir else None
    report = Report(install_root, find_config_path(script_dir))
    system_only = "sys-check" in environ.get("QUERY_STRING", "").split("&")
    return web.Response(render_html(report, system_only))(environ, start_response)
