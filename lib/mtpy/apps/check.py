"""mt-check.cgi: reports what this host has and lacks. Standard library only.

`SystemCheck 0` in mt.cfg switches it off: it then answers 404, saying nothing
about the host."""

import os

from mtpy import web
from mtpy.check import Report, render_html
from mtpy.config import find_config_path

SWITCHED_OFF = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not Found</title>"
                + web.ICON_LINK + "</head>"
                "<body><h1>Not Found</h1></body></html>\n")


def application(environ, start_response):
    script = environ.get("SCRIPT_FILENAME") or ""
    script_dir = os.path.dirname(os.path.realpath(script)) if script else None
    install_root = os.path.dirname(script_dir) if script_dir else None
    config_path = find_config_path(script_dir)
    if switched_off(config_path):
        return web.Response(SWITCHED_OFF, status=404)(environ, start_response)
    report = Report(install_root, config_path, environ=environ)
    system_only = "sys-check" in environ.get("QUERY_STRING", "").split("&")
    return web.Response(render_html(report, system_only), headers=[("Cache-Control", "no-store")])(
        environ, start_response)


def switched_off(config_path):
    """Whether mt.cfg says SystemCheck 0. A config that does not parse leaves the
    check on: it is what says what is wrong with it."""
    from mtpy.config import Config, ConfigError
    if not os.path.exists(config_path):
        return False
    try:
        return not Config(config_path).get("SystemCheck")
    except ConfigError:
        return False
