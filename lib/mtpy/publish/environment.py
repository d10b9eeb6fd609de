"""The Jinja2 environments of templates.

Templates are files: the weblog's own copies first, then the defaults. One written
in Movable Type's tag syntax is translated to Jinja2 once (the translation is
cached on disk by the text's hash, the compiled code by Jinja2's bytecode cache)
and rendered without autoescaping, as MT did; the tags escape what must be
escaped. Jinja2 templates in .html files autoescape.

A weblog's templates can be changed by any author with the "templates"
permission, and the popup renders one for anonymous visitors: they render in
Jinja2's immutable sandbox (TemplateSandbox), which lets them read, of mtpy's
objects, only what each class lists in TEMPLATE_FIELDS (read-only views, see
mtpy.publish.views), include only the weblog's own templates, and change
nothing. mt.cgi's screens ship with mtpy and are not editable from the browser:
they keep the plain environment.

Both disk caches hold code: they live in folders of this process's user alone
(`cache/jinja-<uid>`, `cache/mtml-<uid>`, 0700), and a cached file is used only
when that user owns it and nobody else may write it. Where the scripts run as
the web server's user, the data folder is open to every account on the host.
"""

import hashlib
import json
import os

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mtpy import __version__
from mtpy.fileutil import OWNER_ONLY, make_data_folder, owner_only_folder, read_owner_only, write_atomic

MT_MARKERS = ("<$MT", "<MT", "<$mt", "<mt")


def is_mt_syntax(name, source):
    return name.endswith(".mtml") or any(marker in source for marker in MT_MARKERS)


class WeblogLoader(jinja2.FileSystemLoader):
    """Reads templates from disk, translating Movable Type syntax to Jinja2.
    With `names`, only those templates are found (a weblog's set: nothing else
    in or below its folders)."""

    def __init__(self, folders, cache_folder, names=None):
        jinja2.FileSystemLoader.__init__(self, folders)
        self.cache_folder = cache_folder
        self.names = names
        self.warnings = {}

    def get_source(self, environment, name):
        if self.names is not None and name not in self.names:
            raise jinja2.TemplateNotFound(name)
        source, filename, uptodate = jinja2.FileSystemLoader.get_source(self, environment, name)
        if is_mt_syntax(name, source):
            source = self.translate(source, name)
        return source, filename, uptodate

    def translate(self, source, name):
        """The Jinja2 text for an MT-syntax template; its warnings (tags mtpy
        renders as nothing) are kept in self.warnings[name]."""
        # mtpy's version in the key: a release that translates differently
        # (a fixed tag) does not reuse an older release's translations.
        digest = hashlib.sha1(("%s\0%s\0%s" % (__version__, name, source)).encode("utf-8")).hexdigest()
        cached = os.path.join(self.cache_folder, digest + ".json") if self.cache_folder else None
        kept = read_owner_only(cached) if cached else None
        try:
            translated, warnings = json.loads(kept)
        except (ValueError, TypeError):
            from mtpy.publish.mtml import translate
            translated, warnings = translate(source, template_display_name(name))
            if cached:
                try:
                    write_atomic(cached, json.dumps([translated, warnings]), kind=OWNER_ONLY, durable=False)
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


class OwnBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja2's cache of compiled templates on disk, in a folder of this
    process's user alone; a file is loaded only when that user owns it and
    nobody else may write it (Jinja2 writes them 0600). Skipped when it cannot
    be read or written (a full disk, a read-only data folder): the template is
    compiled again next time, and the page renders all the same."""

    def load_bytecode(self, bucket):
        data = read_owner_only(self._get_cache_filename(bucket))
        if data is None:
            return
        try:
            bucket.bytecode_from_string(data)
        except (ValueError, EOFError, TypeError):   # cut short: compile again
            bucket.reset()

    def dump_bytecode(self, bucket):
        try:
            jinja2.FileSystemBytecodeCache.dump_bytecode(self, bucket)
        except OSError:
            pass


def code_cache_folders(config):
    """(bytecode folder, translations folder) of this process's user, each None
    when it cannot be made or is not this user's alone: then templates are
    compiled (translated) each time rather than trusted from disk."""
    found = []
    try:
        # The data folder first, with its own mode and .htaccess: made as the
        # cache's parent it would be an ordinary folder, and stay one.
        make_data_folder(config.get("DataSource"))
    except OSError:
        pass
    for kind in ("jinja", "mtml"):
        try:
            found.append(owner_only_folder(config.cache_path("%s-%d" % (kind, os.geteuid()))))
        except OSError:  # a read-only data folder
            found.append(None)
    return found


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox (no private attributes, no changing lists or
    dicts, no unsafe calls), where mtpy's own objects show templates only their
    class's TEMPLATE_FIELDS, and nothing of an mtpy object without them."""

    def getattr(self, obj, attribute):
        """The sandbox's getattr, with a short way for mtpy's views (a rebuild
        reads their fields hundreds of thousands of times): a field they list
        is read, nothing else is even looked up. None of their fields is a
        str.format method, which the general way must wrap."""
        fields = getattr(type(obj), "TEMPLATE_FIELDS", None)
        if fields is None:
            return ImmutableSandboxedEnvironment.getattr(self, obj, attribute)
        if attribute not in fields:
            return self.unsafe_undefined(obj, attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            return self.undefined(obj=obj, name=attribute)

    def is_safe_attribute(self, obj, attr, value):
        fields = getattr(type(obj), "TEMPLATE_FIELDS", None)
        if fields is not None:
            return attr in fields
        if type(obj).__module__.startswith("mtpy.") or type(obj).__module__ == "mtpy":
            return False
        return ImmutableSandboxedEnvironment.is_safe_attribute(self, obj, attr, value)


def make_environment(config, folders, environment_class=jinja2.Environment, names=None):
    """An environment over `folders`, first found wins (`names`: see WeblogLoader)."""
    bytecode_folder, translations = code_cache_folders(config)
    loader = WeblogLoader(folders, translations, names)
    return environment_class(
        loader=loader, autoescape=_autoescape,
        bytecode_cache=OwnBytecodeCache(bytecode_folder) if bytecode_folder else None,
        keep_trailing_newline=True)


def weblog_environment(config, template_set):
    """The sandboxed environment of one weblog's template set, with MT's tags
    installed; it finds the set's templates and nothing else."""
    environment = make_environment(config, template_set.ensure_copy().folders, TemplateSandbox,
                                   names=frozenset(template.filename for template in template_set.templates))
    from mtpy.publish.tags import install
    install(environment)
    environment.globals["mt_template_name"] = template_namer(template_set)
    return environment


def template_namer(template_set):
    """mt_template_name: `<$MTInclude module="X"$>` names a template of the set
    by its name, `file="x.mtml"` by its file."""
    by_name = {template.name.lower(): template.filename for template in template_set.templates}

    def module_name(module=None, file=None):
        if module is not None:
            return by_name.get(module.lower(), module)
        return file
    return module_name


def check_template(config, template_set, filename, source):
    """Translate and compile a template's new text. Returns the translation's
    warnings; raises TemplateSetError with the message (tag, template, line) when
    it does not compile, reads a private attribute, or includes anything but a
    template of the set."""
    from mtpy.publish.templates import TemplateSetError
    environment = weblog_environment(config, template_set)
    warnings = []
    try:
        if is_mt_syntax(filename, source):
            from mtpy.publish.mtml import translate
            source, warnings = translate(source, template_display_name(filename))
        tree = environment.parse(source, filename)
    except Exception as error:  # MTTemplateError or a Jinja2 syntax error
        raise TemplateSetError("%s does not compile, nothing changed: %s" % (filename, error))
    problem = _private_attribute(tree) or _outside_include(tree, template_set)
    if problem:
        raise TemplateSetError("%s is refused, nothing changed: %s" % (filename, problem))
    return warnings


def _private_attribute(tree):
    """Why the template reads a private attribute (`x.__class__`,
    `x|attr("_y")`, `x["_y"]`), which the sandbox would refuse anyway; or None."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem):
            name = node.arg.value if isinstance(node.arg, nodes.Const) else None
        else:
            literal = node.name == "attr" and node.args and isinstance(node.args[0], nodes.Const)
            name = node.args[0].value if literal else None
        if isinstance(name, str) and name.startswith("_"):
            return "line %d reads %r: templates cannot reach private attributes" % (node.lineno, name)
    return None


def _outside_include(tree, template_set):
    """Why an include, import or extends names something other than a template
    of the set (a file on disk, mt.cfg, a name computed while rendering); or None."""
    namer = template_namer(template_set)
    allowed = {template.filename for template in template_set.templates}
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        target = node.template
        name = None
        if isinstance(target, nodes.Const):
            name = target.value
        elif (isinstance(target, nodes.Call) and isinstance(target.node, nodes.Name)
              and target.node.name == "mt_template_name" and not target.args
              and all(isinstance(keyword.value, nodes.Const) for keyword in target.kwargs)):
            name = namer(**{keyword.key: keyword.value.value for keyword in target.kwargs})
        if name not in allowed:
            shown = repr(name) if isinstance(name, str) else "a name computed while rendering"
            return ("line %d includes %s, which is not a template of this weblog (<$MTInclude$> takes "
                    "module=\"NAME\" or file=\"FILE\" of one of: %s)" % (
                        node.lineno, shown, ", ".join("%s (%s)" % (template.name, template.filename)
                                                      for template in template_set.templates)))
    return None


def _autoescape(name):
    """Jinja2 templates in .html/.xml files autoescape. Never .mtml files, whose
    MT tags escape for themselves (an MT-syntax .html file is the owner's call:
    they should name it .mtml)."""
    return bool(name) and name.endswith((".html", ".htm", ".xml"))
