"""A weblog's templates: reading, replacing and restoring one, as `mtpy
template set` and mt.cgi's template editor both do.

A template is always chosen by its name in the weblog's set (MT's names, "Main
Index"), never by a path: what an action reads or writes is a file of the set's
own folder, whatever name it is given.

A new text is translated and compiled before it is written; one that does not
compile is refused (ActionError naming the tag, the template and the line) and
the old one stays in force. Replacing or restoring republishes nothing by
itself: `pages_of(template)` says which rebuild shows the change.

Authors also make index templates and template modules of their own, choose
the file an index template publishes (inside the weblog's site folder only:
mtpy.publish.templates.output_problem), and delete what they made; the
default set is never deleted.
"""

import os
import re

from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.fileutil import DATA, write_atomic


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
        raise ActionError(str(error).replace(template.filename, template.name)
                          if templates.is_made(template) else str(error), "text")
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


# -- the weblog's own templates: made, given an output file, deleted ---------------

STARTER_TEXT = {
    "index": ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
              '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
              '<title><$MTBlogName$></title>\n<link rel="stylesheet" href="<$MTBlogURL$>styles-site.css">\n'
              '</head>\n<body>\n<h1><$MTBlogName$></h1>\n\n</body>\n</html>\n'),
    "module": "",
}
MAX_NAME = 100


def _name_problem(templates, name):
    if not name:
        return "Give the template a name."
    if len(name) > MAX_NAME or any(ord(char) < 32 for char in name):
        return "A template's name is at most %d characters, on one line." % MAX_NAME
    if find_template(templates, name) is not None:
        return "This weblog already has a template named %s." % name
    return None


def checked_output(config, blog, templates, output, template=None):
    """The output file name (for `template`, None: a new one), refused (ActionError, field "output") where it
    would write outside the weblog's folder or over another template's page."""
    from mtpy.publish.templates import output_problem
    output = (output or "").strip().replace("\\", "/")
    problem = output_problem(config, blog, output)
    if problem:
        raise ActionError(problem, "output")
    for other in templates.of_kind("index"):
        if (template is None or other.name != template.name) and (other.output or "").lower() == output.lower():
            raise ActionError("%s already publishes %s: choose another file name." % (other.name, output), "output")
    return output


def create_template(store, config, blog, name, kind, output="", text=None, author=None, ip=""):
    """Make a new index template (published to `output` in the weblog's site
    folder) or template module (for <$MTInclude module="NAME"$>). Its text is
    checked as any new text is, its file named by mtpy (user-<n>.mtml) and
    written before the manifest names it. Returns Done(TemplateChange, fields)."""
    from mtpy.publish.environment import check_template
    from mtpy.publish.templates import MADE_KINDS, Template, TemplateSetError, write_manifest
    templates = template_set(config, blog)
    name = (name or "").strip()
    problem = _name_problem(templates, name)
    if problem:
        raise ActionError(problem, "name")
    if kind not in MADE_KINDS:
        raise ActionError("A new template is an index template or a template module.", "kind")
    output = checked_output(config, blog, templates, output) if kind == "index" else None
    text = (STARTER_TEXT[kind] if text is None else text).replace("\r\n", "\n")
    manifest = templates.manifest
    used = {made["filename"] for made in manifest["made"]}
    number = len(used) + 1
    while "user-%d.mtml" % number in used or os.path.exists(os.path.join(templates.folder, "user-%d.mtml" % number)):
        number += 1
    template = Template(name, kind, "user-%d.mtml" % number, output)
    templates.templates.append(template)
    try:
        warnings = check_template(config, templates, template.filename, text)
    except TemplateSetError as error:     # said with the name the author gave, not mtpy's file name
        raise ActionError(str(error).replace(template.filename, name), "text")
    templates.ensure_copy()
    write_atomic(templates.path(template), text, kind=DATA)
    manifest["made"].append({"name": name, "kind": kind, "filename": template.filename, "output": output or ""})
    write_manifest(templates.folder, manifest)
    record(store, "settings", "Created %s %s" % ("index template" if kind == "index" else "template module", name),
           blog.id, author, ip)
    return Done(TemplateChange(template, templates.path(template), warnings), ["name", "kind", "text"]
                + (["output"] if output else []))


def set_output(store, config, blog, name, output, author=None, ip=""):
    """Publish the index template `name` to another file of the weblog's site
    folder (checked as create_template checks it). The file it wrote before
    stays where it is. Returns Done(template, ["output"] or [] when unchanged)."""
    from mtpy.publish.templates import DEFAULT_OUTPUTS, write_manifest
    templates = template_set(config, blog)
    template = find_template(templates, name)
    if template is None or template.kind != "index":
        raise ActionError("Only an index template has an output file.", "output")
    output = checked_output(config, blog, templates, output, template)
    if output == template.output:
        return Done(template, [])
    manifest = templates.manifest
    if templates.is_made(template):
        for made in manifest["made"]:
            if made["filename"] == template.filename:
                made["output"] = output
    elif output == DEFAULT_OUTPUTS.get(template.name):
        manifest["outputs"].pop(template.name, None)
    else:
        manifest["outputs"][template.name] = output
    write_manifest(templates.folder, manifest)
    record(store, "settings", "Template %s now publishes %s (was %s)" % (template.name, output, template.output),
           blog.id, author, ip)
    template.output = output
    return Done(template, ["output"])


def includers_of(templates, template):
    """The other templates whose text includes `template` (by its name or file)."""
    by_name = re.compile(r"""module\s*=\s*["']%s["']""" % re.escape(template.name), re.I)
    return [other for other in templates.templates if other is not template
            and (by_name.search(template_text(templates, other)) or template.filename in template_text(templates, other))]


def delete_template(store, config, blog, name, author=None, ip=""):
    """Delete a template an author made (the default set's stay: ActionError),
    unless another template still includes it. The manifest forgets it first,
    then its file goes; a page it published stays on the site."""
    from mtpy.publish.templates import write_manifest
    templates = template_set(config, blog)
    template = find_template(templates, name)
    if template is None:
        raise ActionError("Weblog %d has no template named %r" % (blog.id, name), "name")
    if not templates.is_made(template):
        raise ActionError("%s is one of the weblog's default templates: it can be changed or restored, "
                          "not deleted." % template.name, "name")
    including = includers_of(templates, template)
    if including:
        raise ActionError("%s is still included by %s: remove <$MTInclude module=\"%s\"$> there first."
                          % (template.name, ", ".join(other.name for other in including), template.name), "name")
    manifest = templates.manifest
    manifest["made"] = [made for made in manifest["made"] if made["filename"] != template.filename]
    write_manifest(templates.folder, manifest)
    try:
        os.remove(templates.path(template))
    except OSError:
        pass          # already gone: the manifest no longer names it
    record(store, "settings", "Deleted template %s" % template.name, blog.id, author, ip)
    return Done(template, ["name"])
