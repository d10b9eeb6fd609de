"""Setting up an installation: its mt.cfg, and the first author and weblog
(`mtpy init` and mt.cgi's first visit)."""

import os

from mtpy.actions import ActionError

CONFIG_TEXT = """\
# mt.cfg: mtpy's configuration (Movable Type style: Directive value).
# Relative paths are relative to this file's folder.
CGIPath %(cgi_path)s
# DataSource ../data
# ObjectDriver sqlite
# MailTransfer sendmail
# EmailAddressMain you@example.com
"""


def write_config_if_missing(config, cgi_path):
    """Write a first mt.cfg at the config's path when there is none; True if written."""
    if os.path.exists(config.path):
        return False
    from mtpy.fileutil import write_atomic
    os.makedirs(os.path.dirname(config.path), exist_ok=True)
    write_atomic(config.path, CONFIG_TEXT % {"cgi_path": cgi_path})
    config.set("CGIPath", cgi_path)
    return True


WEBLOG_NEEDS = (("name", "Your weblog needs a name."), ("site_url", "Your weblog needs a URL."),
                ("site_path", "Your weblog needs a folder to be published in."))


def check_set_up(config, name, email, password, weblog_values):
    """What set-up checks before the store is created, so that refused input
    leaves no store behind."""
    from mtpy.actions.authors import check_author
    from mtpy.actions.weblogs import checked_values
    from mtpy.publish.templates import TemplateSetError, require_defaults
    with _fields_renamed({"name": "author_name"}):
        check_author(name, email, password)
    for field, message in WEBLOG_NEEDS:
        if not (weblog_values.get(field) or "").strip():
            raise ActionError(message, "blog_name" if field == "name" else field)
    with _fields_renamed({"name": "blog_name"}):
        checked_values(weblog_values)
    try:
        require_defaults(config)
    except TemplateSetError as error:
        raise ActionError(str(error))


def set_up(store, config, name, email, password, weblog_values, ip=""):
    """The first author, a system administrator, and their first weblog, in one
    transaction: refused input leaves the store without either, so set-up can
    be tried again; the weblog's first build is queued. Returns (the author,
    the job ids)."""
    from mtpy.actions.authors import create_author
    from mtpy.actions.weblogs import create_weblog
    from mtpy.models import Author
    with store.transaction():
        if store.find(Author, limit=1):
            raise ActionError("This installation is already set up: log in instead.")
        with _fields_renamed({"name": "author_name"}):
            author = create_author(store, name, email, password, is_admin=True, ip=ip).record
        with _fields_renamed({"name": "blog_name"}):
            built = create_weblog(store, config, weblog_values, author=author, ip=ip, build=True)
    return author, built.job_ids


class _fields_renamed:
    """Re-raise an action's ActionError under the set-up form's field names
    (the author and the weblog both have a "name")."""

    def __init__(self, names):
        self.names = names

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, ActionError) and error.field in self.names:
            raise ActionError(error.message, self.names[error.field]) from None
        return False
