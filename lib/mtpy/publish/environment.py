"""The Jinja2 environment for weblog templates.

Templates are files: the weblog's own copies first, then the defaults. One written
in Movable Type's tag syntax is translated to Jinja2 once (the translation is
cached on disk by the text's hash, the compiled code by Jinja2's bytecode cache)
and rendered without autoescaping, as MT did; the tags escape what must be
escaped. Jinja2 templates in .html files autoescape.
"""

import hashlib
import os

import jinja2

from mtpy import timeutil
from mtpy.text import plain_text

MT_MARKERS = ("<$MT", "<MT", "<$mt", "<mt")


def is_mt_syntax(name, source):
    return name.endswith(".mtml") or any(marker in source for marker in MT_MARKERS)


class WeblogLoader(jinja2.FileSystemLoader):
    """Reads templates from disk, translating Movable Type syntax to Jinja2."""

    def __init__(self, folders, cache_folder):
        jinja2.FileSystemLoader.__init__(self, folders)
        self.cache_folder = cache_folder
        self.warnings = {}

    def get_source(self, environment, name):
        source, filename, uptodate = jinja2.FileSystemLoader.get_source(self, environment, name)
        if is_mt_syntax(name, source):
            source = self.translate(source, name)
        return source, filename, uptodate

    def translate(self, source, name):
        digest = hashlib.sha1(("%s\0%s" % (name, source)).encode("utf-8")).hexdigest()
        cached = os.path.join(self.cache_folder, digest + ".j2") if self.cache_folder else None
        if cached and os.path.exists(cached):
            with open(cached, encoding="utf-8") as handle:
                return handle.read()
        from mtpy.publish.mtml import translate
        translated, warnings = translate(source, template_display_name(name))
        self.warnings[name] = warnings
        if cached:
            from mtpy.fileutil import write_atomic
            try:
                write_atomic(cached, translated)
            except OSError:
                pass  # a read-only data folder: translate each time
        return translated


def template_display_name(filename):
    from mtpy.publish.templates import DEFAULT_SET
    for template in DEFAULT_SET:
        if template.filename == filename:
            return template.name
    return filename


def make_environment(config, folders=None):
    """An environment over `folders` (default: the installation's tmpl/)."""
    cache = os.path.join(config.get("DataSource"), "cache")
    try:
        os.makedirs(os.path.join(cache, "jinja"), mode=0o700, exist_ok=True)
        os.makedirs(os.path.join(cache, "mtml"), mode=0o700, exist_ok=True)
        bytecode_cache = jinja2.FileSystemBytecodeCache(os.path.join(cache, "jinja"))
        translations = os.path.join(cache, "mtml")
    except OSError:  # a read-only data folder: compile each time rather than fail
        bytecode_cache = translations = None
    loader = WeblogLoader(folders or [config.get("TemplatePath")], translations)
    environment = jinja2.Environment(
        loader=loader, autoescape=_autoescape, bytecode_cache=bytecode_cache,
        keep_trailing_newline=True)
    environment.filters["plain"] = plain_text
    environment.filters["mtdate"] = timeutil.mt_format
    environment.filters["safe_url"] = safe_url
    return environment


def weblog_environment(config, template_set):
    """The environment of one weblog's template set, with MT's tags installed."""
    environment = make_environment(config, [template_set.ensure_copy().folder, template_set.defaults])
    from mtpy.publish.tags import install
    install(environment)
    by_name = {template.name.lower(): template.filename for template in template_set.templates}

    def module_name(module=None, file=None):
        """`<$MTInclude module="X"$>` names a template of the set."""
        if module is not None:
            return by_name.get(module.lower(), module)
        return file
    environment.globals["mt_template_name"] = module_name
    return environment


def check_template(config, template_set, filename, source):
    """Translate and compile a template's new text; raises TemplateSetError with
    the message (tag, template, line) when it does not."""
    from mtpy.publish.templates import TemplateSetError
    environment = weblog_environment(config, template_set)
    try:
        if is_mt_syntax(filename, source):
            from mtpy.publish.mtml import translate
            source, _ = translate(source, template_display_name(filename))
        environment.parse(source, filename)
    except Exception as error:  # MTTemplateError or a Jinja2 syntax error
        raise TemplateSetError("%s does not compile, nothing changed: %s" % (filename, error))


def _autoescape(name):
    """Jinja2 templates in .html/.xml files autoescape. Never .mtml files, whose
    MT tags escape for themselves (an MT-syntax .html file is the owner's call:
    they should name it .mtml)."""
    return bool(name) and name.endswith((".html", ".htm", ".xml"))


def safe_url(url):
    """Only http(s) URLs become links; anything else (javascript:) becomes ''."""
    lowered = (url or "").strip().lower()
    return url.strip() if lowered.startswith(("http://", "https://")) else ""
