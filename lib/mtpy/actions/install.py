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


SETUP_KEY = "setup-key.txt"     # in the data folder, which the web server never hands out
WRONG_SETUP_KEY = "This is not the set-up key: paste all of the file named above (download it over FTP)."
WEBLOG_NEEDS = (("name", "Your weblog needs a name."), ("site_url", "Your weblog needs a URL."),
                ("site_path", "Your weblog needs a folder to be published in."))
FORM_FIELDS = {"author": {"name": "author_name"}, "weblog": {"name": "blog_name"}}


def setup_key_path(config):
    return os.path.join(config.get("DataSource"), SETUP_KEY)


def make_setup_key(config):
    """The set-up key: a random word in the data folder, written when missing.
    Whoever types it in proves they can read that folder, as its owner can
    over FTP and a visitor cannot. OSError when the folder cannot be written."""
    import secrets
    from mtpy.fileutil import make_data_folder, private_mode, write_atomic
    path = setup_key_path(config)
    if not os.path.exists(path):
        folder = os.path.dirname(path)
        make_data_folder(folder)
        write_atomic(path, secrets.token_urlsafe(24) + "\n", mode=private_mode(folder))
    return path


def setup_key_matches(config, typed):
    """Whether `typed` is the set-up key (compared in constant time)."""
    import hmac
    try:
        with open(setup_key_path(config), encoding="utf-8") as handle:
            key = handle.read().strip()
    except OSError:
        return False
    return bool(key) and hmac.compare_digest((typed or "").strip().encode("utf-8"), key.encode("utf-8"))


def forget_setup_key(config):
    """Delete the set-up key: it opens set-up once."""
    try:
        os.unlink(setup_key_path(config))
    except FileNotFoundError:
        pass


def learn_cgi_path(config, url):
    """Keep the URL of cgi-bin/ that set-up saw in the data folder (see
    mtpy.config.LEARNT_CGI_PATH): never in cgi-bin/, which the scripts may not
    be allowed to write."""
    from mtpy.config import LEARNT_CGI_PATH
    from mtpy.fileutil import DATA, write_atomic
    write_atomic(os.path.join(config.get("DataSource"), LEARNT_CGI_PATH), url + "\n", kind=DATA)


def check_set_up(config, setup_key, name, email, password, weblog_values):
    """Everything wrong with the set-up form at once: {form field: message},
    empty when set-up may go ahead; nothing is stored. Only with the right
    set-up key is the weblog's folder created and a file written in it, so
    that no visitor makes folders on this host."""
    from mtpy.actions.authors import author_errors
    from mtpy.actions.weblogs import checked_values
    from mtpy.publish.templates import TemplateSetError, require_defaults
    errors = {}
    key_right = setup_key_matches(config, setup_key)
    if not key_right:
        errors["setup_key"] = WRONG_SETUP_KEY
    for field, message in author_errors(name, email, password).items():
        errors[FORM_FIELDS["author"].get(field, field)] = message
    for field, missing in WEBLOG_NEEDS:
        form_field = FORM_FIELDS["weblog"].get(field, field)
        if not (weblog_values.get(field) or "").strip():
            errors[form_field] = missing
            continue
        try:
            value = checked_values({field: weblog_values[field]})[field]
        except ActionError as error:
            errors[form_field] = error.message
            continue
        if field == "site_path" and key_right:
            problem = unwritable_folder(value)
            if problem:
                errors[form_field] = problem
    try:
        require_defaults(config)
    except TemplateSetError as error:
        errors[None] = str(error)
    return errors


def unwritable_folder(path):
    """Why mtpy cannot publish into the folder `path` (created when missing),
    or None: a file is written and removed there, as mt-check.cgi does."""
    from mtpy.fileutil import writable_error
    from mtpy.fileutil import make_folders
    try:
        make_folders(path)
    except OSError as error:
        return "mtpy cannot create the folder %s: %s." % (path, error.strerror or error)
    error = writable_error(path)
    return None if error is None else "mtpy cannot write in the folder %s: %s." % (path, error)


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
        with _fields_renamed(FORM_FIELDS["author"]):
            author = create_author(store, name, email, password, is_admin=True, ip=ip).record
        with _fields_renamed(FORM_FIELDS["weblog"]):
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
