"""The installation's system check for its administrators: mt-check.cgi's
whole page, which a stranger no longer sees once set-up is done."""

import os

from mtpy import web
from mtpy.apps.cms.screen import mode
from mtpy.check import Report, render_html


@mode("system_check", admin=True)
def system_check(screen):
    script = screen.request.environ.get("SCRIPT_FILENAME")
    scripts = os.path.dirname(os.path.realpath(script)) if script else screen.config.folder
    report = Report(os.path.dirname(scripts), screen.config.path, environ=screen.request.environ,
                    administrator=True)
    return web.Response(render_html(report), headers=[("Cache-Control", "no-store")])
