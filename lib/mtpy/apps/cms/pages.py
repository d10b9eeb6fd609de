"""mt.cgi's screens as HTML: Jinja2 templates, autoescaped.

The screens ship in the package (mtpy/templates/cms/); a file of the same name in
`<TemplatePath>/cms/` (default tmpl/cms/) replaces one, as for weblog templates.
Every page carries a Content-Security-Policy that allows no script at all and
only the page's own stylesheet (by nonce): a value that slipped through escaping
still could not run.
"""

import os

from mtpy import web
from mtpy.models import KIND_NAMES
from mtpy.models import PROTOCOL_NAMES
from mtpy.text import web_link

SHIPPED_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              "templates", "cms")

CSP = ("default-src 'none'; style-src 'nonce-%s'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")

_environments = {}


def environment(config):
    """The screens' Jinja2 environment (one per process and configuration: a
    persistent process sees mt.cfg's TemplatePath and DataSource change)."""
    key = (config.path, config.get("TemplatePath"), config.get("DataSource"))
    if key not in _environments:
        from mtpy.publish.environment import make_environment
        folders = [os.path.join(config.get("TemplatePath"), "cms"), SHIPPED_FOLDER]
        env = make_environment(config, [folder for folder in folders if os.path.isdir(folder)])
        env.globals["plain"] = _plain
        env.globals["web_link"] = web_link
        env.globals["protocol_names"] = PROTOCOL_NAMES
        env.globals["kind_names"] = KIND_NAMES
        env.globals["icon_link"] = web.ICON_LINK
        env.filters["local_time"] = _local_time
        _environments[key] = env
    return _environments[key]


def render(screen, template, status, values):
    from mtpy.tokens import random_token
    screen.csp_nonce = random_token(16)
    values.setdefault("status", status)
    page = environment(screen.config).get_template(template).render(screen=screen, **values)
    response = web.Response(page, status=status, headers=[("Content-Security-Policy", CSP % screen.csp_nonce),
                                                          ("Cache-Control", "no-store")])
    return response


def _plain(text):
    """Ping text as everywhere else: tags removed, references decoded (the
    template escapes the result)."""
    from mtpy.text import feed_text
    return feed_text(text or "")


def _local_time(utc_text, blog=None, fmt="%Y-%m-%d %H:%M"):
    from mtpy.dates import format_date
    if not utc_text:
        return ""
    return format_date(utc_text, blog.timezone if blog is not None else 0, fmt)
