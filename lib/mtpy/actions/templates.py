"""A weblog's templates: reading, replacing and restoring one, as `mtpy
template set` and mt.cgi's template editor both do.

A template is always chosen by its name in the weblog's set (MT's names, "Main
Index"), never by a path: what an action reads or writes is a file of the set's
own folder, whatever name it is given.

A new text is translated and compiled before it is written; one that does not
compile is refused (ActionError naming the tag, the template and the line) and
the old one stays in force. Replacing or restoring republishes nothing by
itself: `pages_of(template)` says which rebuild shows the change.
"""

import os

from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record


class TemplateChange:
    """What a replaced or restored template became: the Template, the file
    written, and the translation's warnings (tags mtpy renders as nothing)."""

    __slots__ = ("template", "path", "warnings")

    def __init__(self, template, path, warnings):
        self.template = template
        self.path = path
        self.warnings = list(warnings)


def template_set(config, blog):
    """The weblog's TemplateSet; ActionError when it has none (TemplatePath
    wrong, the shipped templates missing)."""
    from mtpy.publish.templates import TemplateSet, TemplateSetError
    try:
        return TemplateSet(config, blog)
    except TemplateSetError as error:
        raise ActionError(str(error))


def find_template(templates, name):
    """The Template named `name` (MT's name, any case) in the set, or None."""
    from mtpy.publish.templates import TemplateSetError
    try:
        return templates.by_name(name or "")
    except TemplateSetError:
        return None


def template_text(templates, template):
    """The text a template renders from now: the weblog's copy, else the
    installation's or the shipped default (read without making a copy)."""
    for folder in templates.folders:
        path = os.path.join(folder, template.filename)
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
    return ""


def default_text(templates, template):
    """The default text of a template (the installation's, else the shipped
    one), or None when it has none."""
    path = templates.default_paths.get(template.filename)
    if path is None:
        return None
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def is_default(templates, template):
    """Whether the template's text is its default's."""
    return template_text(templates, template) == default_text(templates, template)


def translation_problems(template, text):
    """(warnings, error) of a template's text without writing anything:
    translation warnings, and the message when it does not translate (None
    when it does). For showing a stored template; saving checks it fully."""
    from mtpy.publish.environment import is_mt_syntax
    if not is_mt_syntax(template.filename, text):
        return [], None
    from mtpy.publish.mtml import MTTemplateError, translate
    try:
        return translate(text, template.name)[1], None
    except MTTemplateError as error:
        return [], str(error)


def replace_template(store, config, blog, name, text, author=None, ip="", restoring=False):
    """Replace the text of the template called `name`, after translating and
    compiling it; refused with ActionError (field "text") when it does not
    compile, and nothing changes. Returns Done(TemplateChange, ["text"] or
    [] when the text was the same, no jobs)."""
    from mtpy.publish.environment import check_template
    from mtpy.publish.templates import TemplateSetError
    templates = template_set(config, blog)
    template = find_template(templates, name)
    if template is None:
        raise ActionError("Weblog %d has no template named %r" % (blog.id, name), "name")
    text = text.replace("\r\n", "\n")     # browsers send CRLF; the files are LF
    unchanged = template_text(templates, template) == text
    try:
        template, warnings = templates.replace(
            template.name, text, lambda filename, source: check_template(config, templates, filename, source))
    except TemplateSetError as error:
        raise ActionError(str(error), "text")
    if not unchanged:
        message = "Restored template %s to the default" if restoring else "Changed template %s"
        record(store, "settings", message % template.name, blog.id, author, ip)
    return Done(TemplateChange(template, templates.path(template), warnings), [] if unchanged else ["text"])


def restore_template(store, config, blog, name, author=None, ip=""):
    """Put a template's default text back (checked like any new text).
    ActionError when the template has no default. Returns as replace_template."""
    templates = template_set(config, blog)
    template = find_template(templates, name)
    if template is None:
        raise ActionError("Weblog %d has no template named %r" % (blog.id, name), "name")
    text = default_text(templates, template)
    if text is None:
        raise ActionError("%s has no default to restore: it exists only in this weblog" % template.name)
    return replace_template(store, config, blog, template.name, text, author, ip, restoring=True)


def pages_of(template):
    """Which rebuild (a name of mtpy.actions.rebuild.WHAT) shows a changed
    template: its own pages for an index or archive template, every page for
    a module (any page may include it), None for the TrackBack listing popup,
    which is rendered when it is viewed."""
    if template.kind == "index":
        return "index"
    if template.kind in ("Individual", "Category", "Monthly"):
        return template.kind
    if template.kind == "popup":
        return None
    return "all"
