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
        """The Jinja2 text for an MT-syntax template; its warnings (tags mtpy
        renders as nothing) are kept in self.warnings[name]."""
        import json
        digest = hashlib.sha1(("%s\0%s" % (name, source)).encode("utf-8")).hexdigest()
        cached = os.path.join(self.cache_folder, digest + ".json") if self.cache_folder else None
        try:
            with open(cached, encoding="utf-8") as handle:
                translated, warnings = json.load(handle)
        except (OSError, ValueError, TypeError):
            from mtpy.publish.mtml import translate
            translated, warnings = translate(source, template_display_name(name))
            if cached:
                from mtpy.fileutil import DATA, write_atomic
                try:
                    write_atomic(cached, json.dumps([translated, warnings]), kind=DATA, durable=False)
                except OSError:
                    pass  # a read-only data folder: translate each time
        self.warnings[name] = warnings
        return translated


def template_display_name(filename):
    from mtpy.publish.templates import DEFAULT_SET
    for template in DEFAULT_SET:
        if template.filename == filename:
            return template.name
    return filename


class SkippableBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's cache of compiled templates on disk, skipped when it cannot be
    read or written (a full disk, a read-only data folder): the template is
    compiled again next time, and the page renders all the same."""

    def load_bytecode(self, bucket):
        try:
            jinja2.FileSystemBytecodeCache.load_bytecode(self, bucket)
        except OSError:
            pass

    def dump_bytecode(self, bucket):
        from mtpy.fileutil import DATA, file_mode
        try:
            jinja2.FileSystemBytecodeCache.dump_bytecode(self, bucket)
            # Jinja2 writes it 0600: another user of the installation could not read it.
            os.chmod(self._get_cache_filename(bucket), file_mode(self.directory, DATA))
        except OSError:
            pass


def make_environment(config, folders):
    """An environment over `folders`, first found wins."""
    cache = config.cache_path()
    try:
        from mtpy.fileutil import make_data_folder, make_folders
        # The data folder first, with its own mode and .htaccess: made as the
        # cache's parent it would be an ordinary folder, and stay one.
        make_data_folder(config.get("DataSource"))
        make_folders(os.path.join(cache, "jinja"))
        make_folders(os.path.join(cache, "mtml"))
        bytecode_cache = SkippableBytecodeCache(os.path.join(cache, "jinja"))
        translations = os.path.join(cache, "mtml")
    except OSError:  # a read-only data folder: compile each time rather than fail
        bytecode_cache = translations = None
    loader = WeblogLoader(folders, translations)
    environment = jinja2.Environment(
        loader=loader, autoescape=_autoescape, bytecode_cache=bytecode_cache,
        keep_trailing_newline=True)
    return environment


def weblog_environment(config, template_set):
    """The environment of one weblog's template set, with MT's tags installed."""
    environment = make_environment(config, template_set.ensure_copy().folders)
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
    """Translate and compile a template's new text. Returns the translation's
    warnings; raises TemplateSetError with the message (tag, template, line) when
    it does not compile."""
    from mtpy.publish.templates import TemplateSetError
    environment = weblog_environment(config, template_set)
    warnings = []
    try:
        if is_mt_syntax(filename, source):
            from mtpy.publish.mtml import translate
            source, warnings = translate(source, template_display_name(filename))
        environment.parse(source, filename)
    except Exception as error:  # MTTemplateError or a Jinja2 syntax error
        raise TemplateSetError("%s does not compile, nothing changed: %s" % (filename, error))
    return warnings


def _autoescape(name):
    """Jinja2 templates in .html/.xml files autoescape. Never .mtml files, whose
    MT tags escape for themselves (an MT-syntax .html file is the owner's call:
    they should name it .mtml)."""
    return bool(name) and name.endswith((".html", ".htm", ".xml"))
