"""The weblog's templates: the list, the editor, restoring a default.

A template is chosen by its name in the weblog's set (`name=Main Index`),
never by a path from the request: a name that is not in the set is not found,
so nothing outside the weblog's own template folder can be read or written.
Saving goes through the check `mtpy template set` uses (mtpy.actions.templates):
a text that does not compile is refused with the tag, template and line, and
the old text stays in force. "Save and rebuild" then publishes the pages the
template makes, through the rebuild's steps. Saving or restoring asks for the
author's password again (a template prints anything, scripts included).

An author also makes index templates and template modules (template_new),
chooses the file an index template publishes (the editor's "Output file"),
and deletes what they made (template_delete); each asks for the password too.
"""

from mtpy.actions import ActionError
from mtpy.actions import templates as actions
from mtpy.apps.cms.base import HTTPError
from mtpy.apps.cms.screen import mode

KIND_LABELS = {"index": "Index", "Individual": "Individual entry archive", "Category": "Category archive",
               "Monthly": "Date-based archive", "popup": "TrackBack listing popup", "module": "Module"}
ARCHIVE_OUTPUT = {"Individual": "One page per entry", "Category": "One page per category",
                  "Monthly": "One page per month", "popup": "Shown by mt-tb.cgi when a reader opens it",
                  "module": "Included by the other templates"}


def _template_set(screen):
    try:
        return actions.template_set(screen.config, screen.blog)
    except ActionError as error:
        raise HTTPError(500, error.message)


def _chosen(screen, templates):
    template = actions.find_template(templates, screen.param("name"))
    if template is None:
        raise HTTPError(404, "This weblog has no such template.")
    return template


@mode("templates", permission="templates")
def template_list(screen):
    templates = _template_set(screen)
    rows = [{"template": template, "kind": KIND_LABELS.get(template.kind, template.kind),
             "output": template.output or ARCHIVE_OUTPUT.get(template.kind, ""),
             "made": templates.is_made(template), "changed": not actions.is_default(templates, template)}
            for template in templates.templates]
    return screen.render("templates.html", rows=rows, active="templates")


@mode("template_new", permission="templates", methods=("GET", "POST"), resumable=True)
def template_new(screen):
    """A new index template (name, output file, text) or template module (name, text)."""
    kind = screen.param("kind") if screen.param("kind") in actions.STARTER_TEXT else "index"
    values = {"name": "", "output": "", "text": actions.STARTER_TEXT[kind]}
    errors = {}
    if screen.resumed is not None:      # a creation that was not done: what it typed, to create again
        values = {name: screen.resumed.get(name) or "" for name in values}
    elif screen.request.method == "POST":
        form = screen.request.form
        values = {"name": form.get("name"), "output": form.get("output"), "text": form.get("text")}
        try:
            screen.confirm_password()
            with screen.store.transaction():
                done = actions.create_template(screen.store, screen.config, screen.blog, values["name"], kind,
                                               values["output"], values["text"], screen.author,
                                               screen.request.remote_addr)
        except ActionError as error:
            errors[error.field or None] = error.message
        else:
            return screen.redirect("template_edit", blog_id=screen.blog.id, name=done.record.template.name,
                                   saved="created")
    return screen.render("template_new.html", kind=kind, kind_label=KIND_LABELS[kind], values=values, errors=errors,
                         site_path=screen.blog.site_path, active="templates")


@mode("template_delete", permission="templates", methods=("GET", "POST"))
def template_delete(screen):
    """GET asks for confirmation; POST deletes a template an author made."""
    templates = _template_set(screen)
    template = _chosen(screen, templates)
    errors = {}
    if not templates.is_made(template):
        errors[None] = "%s is one of the weblog's default templates: it cannot be deleted." % template.name
    elif screen.request.method == "POST":
        try:
            screen.confirm_password()
            with screen.store.transaction():
                actions.delete_template(screen.store, screen.config, screen.blog, template.name, screen.author,
                                        screen.request.remote_addr)
        except ActionError as error:
            errors[error.field if error.field == "confirm_password" else None] = error.message
        else:
            return screen.redirect("templates", blog_id=screen.blog.id, saved="deleted")
    return screen.render("template_delete.html", chosen=template, errors=errors, made=templates.is_made(template),
                         includers=actions.includers_of(templates, template), active="templates")


@mode("template_edit", permission="templates", methods=("GET", "POST"), resumable=True)
def template_edit(screen):
    templates = _template_set(screen)
    template = _chosen(screen, templates)
    errors = {}
    output = template.output
    if screen.resumed is not None:      # a save that was not done: what it typed, to save again
        text, warnings = screen.resumed.get("text"), []
        if template.kind == "index" and screen.resumed.get("output") is not None:
            output = screen.resumed.get("output")
    elif screen.request.method == "POST":
        text = screen.request.form.get("text")
        if template.kind == "index" and "output" in screen.request.form:
            output = screen.request.form.get("output")
        try:
            screen.confirm_password()
            if output != template.output:    # refused before the text is saved: both or neither
                actions.checked_output(screen.config, screen.blog, templates, output, template)
            with screen.store.transaction():
                actions.replace_template(screen.store, screen.config, screen.blog, template.name, text,
                                         screen.author, screen.request.remote_addr)
                if output != template.output:
                    actions.set_output(screen.store, screen.config, screen.blog, template.name, output,
                                       screen.author, screen.request.remote_addr)
        except ActionError as error:
            errors[error.field or None] = error.message
        else:
            what = actions.pages_of(template)
            if "save_rebuild" in screen.request.form and what is not None and screen.blog.site_path:
                from mtpy.apps.cms.rebuild import start
                return start(screen, what)
            return screen.redirect("template_edit", blog_id=screen.blog.id, name=template.name, saved="saved")
        warnings = []
    else:
        text = actions.template_text(templates, template)
        warnings, problem = actions.translation_problems(template, text)
        if problem:
            errors["text"] = "This template does not compile as it is: %s" % problem
    return screen.render("template_edit.html", chosen=template, text=text, errors=errors, warnings=warnings,
                         kind=KIND_LABELS.get(template.kind, template.kind), output_file=output,
                         output=template.output or ARCHIVE_OUTPUT.get(template.kind, ""),
                         made=templates.is_made(template),
                         rebuilds=actions.pages_of(template) is not None,
                         restorable=actions.default_text(templates, template) is not None
                         and not actions.is_default(templates, template),
                         active="templates")


@mode("template_restore", permission="templates", methods=("GET", "POST"))
def template_restore(screen):
    """GET asks for confirmation; POST puts the default text back."""
    templates = _template_set(screen)
    template = _chosen(screen, templates)
    errors = {}
    if screen.request.method == "POST":
        try:
            screen.confirm_password()
            with screen.store.transaction():
                actions.restore_template(screen.store, screen.config, screen.blog, template.name,
                                         screen.author, screen.request.remote_addr)
        except ActionError as error:
            errors[error.field or None] = error.message
        else:
            return screen.redirect("template_edit", blog_id=screen.blog.id, name=template.name, saved="restored")
    return screen.render("template_restore.html", chosen=template, errors=errors,
                         has_default=actions.default_text(templates, template) is not None, active="templates")
