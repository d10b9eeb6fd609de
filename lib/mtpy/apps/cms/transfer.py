"""Import and export: a Movable Type export file in, the weblog out.

Import takes an uploaded file in MT's export format; it is read whole before
anything is stored, so a file with an error imports nothing and the page says
where the error is. The weblog's pages follow through the deferred work the
import queues (a rebuild, when the weblog has been published). Export
downloads the weblog in the same format, which imports again.
"""

from mtpy import web
from mtpy.actions import ActionError
from mtpy.apps.cms.screen import mode


@mode("transfer", permission="settings", methods=("GET", "POST"))
def transfer(screen):
    from mtpy.actions.importing import import_entries
    errors = {}
    if screen.request.method == "POST":
        try:
            text = uploaded_text(screen.request.files.get("file"))
            screen.jobs += import_entries(screen.store, screen.config, screen.blog, text, screen.author,
                                          screen.request.remote_addr,
                                          send_pings=screen.request.form.get("send_pings") == "1")
        except ActionError as error:
            errors[error.field or None] = error.message
        else:
            return screen.redirect("transfer", blog_id=screen.blog.id, saved="imported")
    return screen.render("transfer.html", errors=errors, last_import=_last_import(screen), active="transfer")


def uploaded_text(upload):
    """The text of an uploaded export file: UTF-8 (MT's later versions, and
    mtpy's export), else Windows-1252 (MT 2.x wrote the weblog's charset, most
    often ISO-8859-1); ActionError when there is no file or it is not text."""
    if upload is None or not upload.data:
        raise ActionError("Choose the export file to import.", "file")
    if b"\x00" in upload.data:
        raise ActionError("This is not a Movable Type export file: it is not text (nothing imported).", "file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return upload.data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ActionError("This file is neither UTF-8 nor Windows-1252 text (nothing imported).", "file")


def _last_import(screen):
    from mtpy.models import Activity
    found = screen.store.find(Activity, order_by="created_on", desc=True, limit=1, kind="import",
                              blog_id=screen.blog.id)
    return found[0] if found else None


@mode("export", permission="settings")
def export(screen):
    from mtpy.importexport import export_entries
    text = export_entries(screen.store, screen.blog)
    disposition = 'attachment; filename="%s-export.txt"' % file_name(screen.blog.name, screen.blog.id)
    return web.Response(text, content_type="text/plain; charset=utf-8",
                        headers=[("Content-Disposition", disposition), ("Cache-Control", "no-store"),
                                 ("X-Content-Type-Options", "nosniff")])


def file_name(name, blog_id):
    """The weblog's name as a safe download name: letters, digits, dots,
    hyphens and underscores (ASCII), else weblog-<id>."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in name or "")
    safe = "-".join(part for part in safe.split("-") if part.strip(".")).strip(".-")
    return safe[:60] or "weblog-%d" % blog_id
