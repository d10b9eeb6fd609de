"""Backup and restore of the whole site (system administrators only).

The backup screen downloads one zip file (mtpy.backup: every record but the
sessions, the weblogs' templates; never mt.cfg) and restores one: the uploaded
file is checked whole and kept in the data folder's backups/ until a
confirmation page is answered; a refused file changes nothing. The restore
itself writes a backup of what the store held first, then replaces everything
in one transaction; everyone is logged out, and the weblogs need a rebuild.
"""

import os

from mtpy import web
from mtpy.apps.cms.base import HTTPError
from mtpy.apps.cms.screen import mode

UPLOAD_PREFIX = "upload-"
UPLOAD_SECONDS = 24 * 3600      # an upload never confirmed is removed after this
TOKEN_CHARACTERS = frozenset("0123456789abcdef")


@mode("backup", admin=True)
def backup(screen):
    return _page(screen, {})


def _page(screen, errors, status=200):
    from mtpy.backup import BACKED_UP
    counts = [(kind.__name__, screen.store.count(kind)) for kind in BACKED_UP]
    return screen.render("backup.html", status=status, counts=counts, errors=errors,
                         max_upload_mb=screen.config.get("MaxUploadBytes") / 1048576.0, **_words())


def _words():
    from mtpy.backup import BACKEND_NAMES, KIND_LABELS
    return {"labels": KIND_LABELS, "backends": BACKEND_NAMES}


@mode("backup_download", admin=True)
def backup_download(screen):
    import io
    from mtpy import dates
    from mtpy.backup import write_backup
    now = dates.utc_now()
    data = io.BytesIO()
    write_backup(screen.store, screen.config, data, now)
    name = "mtpy-backup-%s.zip" % now.replace("-", "").replace(":", "").replace(" ", "-")
    return web.Response(data.getvalue(), content_type="application/zip",
                        headers=[("Content-Disposition", 'attachment; filename="%s"' % name),
                                 ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")])


@mode("restore", admin=True, methods=("POST",))
def restore(screen):
    """The uploaded file, checked, then kept for the confirmation page."""
    from mtpy.backup import BackupError, read_backup
    upload = screen.request.files.get("file")
    if upload is None or not upload.data:
        return _page(screen, {"file": "Choose the backup file to restore."})
    import io
    try:
        found = read_backup(io.BytesIO(upload.data))
    except BackupError as error:
        return _page(screen, {"file": "%s Nothing was changed." % error})
    token = _keep_upload(screen, upload.data)
    return screen.render("restore_confirm.html", backup=found, counts=found.counts(), token=token, **_words())


@mode("restore_confirm", admin=True, methods=("POST",))
def restore_confirm(screen):
    from mtpy.backup import BackupError, read_backup, restore_backup
    path = _upload_path(screen, screen.request.form.get("upload"))
    if path is None or not os.path.exists(path):
        raise HTTPError(404, "This upload is no longer here: upload the backup file again.")
    if screen.request.form.get("confirm") != "1":
        os.unlink(path)
        return screen.redirect("backup")
    try:
        found = read_backup(path)
    except BackupError as error:
        os.unlink(path)
        return _page(screen, {"file": "%s Nothing was changed." % error})
    restored = restore_backup(screen.store, screen.config, found)
    os.unlink(path)
    from mtpy.models import Blog
    blogs = screen.store.find(Blog)
    screen.session = screen.author = None       # every session ended with the store's content
    return screen.render("restore_done.html", restored=restored, counts=restored.counts, blogs=blogs, **_words())


def _backups_folder(screen):
    return os.path.join(screen.config.get("DataSource"), "backups")


def _keep_upload(screen, data):
    """Keep the file under a random name for the confirmation (and remove the
    uploads of a day ago that were never confirmed)."""
    import secrets
    import time
    from mtpy.fileutil import DATA, make_folders, write_atomic
    folder = _backups_folder(screen)
    make_folders(folder)
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if name.startswith(UPLOAD_PREFIX) and os.path.getmtime(path) < time.time() - UPLOAD_SECONDS:
                os.unlink(path)
        except OSError:
            pass
    token = secrets.token_hex(16)
    write_atomic(os.path.join(folder, "%s%s.zip" % (UPLOAD_PREFIX, token)), data, kind=DATA)
    return token


def _upload_path(screen, token):
    """The kept upload of this token, or None for anything but a token."""
    if len(token or "") != 32 or not set(token) <= TOKEN_CHARACTERS:
        return None
    return os.path.join(_backups_folder(screen), "%s%s.zip" % (UPLOAD_PREFIX, token))
