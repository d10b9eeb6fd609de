"""Authors: accounts, passwords, what each may do in which weblog; the ways
back into an account (a reset link by mail, the recovery file)."""

import hmac
import os
import stat
import time
from datetime import timedelta

from mtpy import dates
from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.actions.values import unknown_fields
from mtpy.models import Author, Blog, Category, Entry, Permission
from mtpy.tokens import random_token, token_digest

# (name, label), in the order a screen lists them
PERMISSIONS = (
    ("post", "Post entries and edit their own"),
    ("edit_all", "Edit all entries and pings"),
    ("categories", "Edit categories"),
    ("templates", "Edit templates (a template prints anything: trust as a system administrator)"),
    ("settings", "Weblog settings and rebuild"),
    ("bans", "IP bans"),
    # Without it an author's entries, category labels and weblog names pass
    # mtpy.sanitize on save: raw HTML on a page of mt.cgi's origin could act in
    # mt.cgi as whoever reads the page (an administrator).
    ("unfiltered_html", "Publish any HTML, scripts included (trust as a system administrator)"),
)
PERMISSION_NAMES = tuple(name for name, _ in PERMISSIONS)
MIN_PASSWORD_LENGTH = 8


def create_author(store, name, email, password, is_admin=False, by=None, ip=""):
    """A new author: the name unique, the e-mail address plausible, the
    password at least MIN_PASSWORD_LENGTH characters. `by`: who made it (log)."""
    from mtpy.passwords import hash_password
    name, email = check_author(name, email, password)
    if store.find(Author, name=name):
        raise ActionError("There is already an author named %r" % name, "name")
    author = Author(name=name, email=email, password_hash=hash_password(password), is_admin=bool(is_admin))
    with store.transaction():
        store.insert(author)
        record(store, "author", "Created author %s%s" % (name, " (system administrator)" if is_admin else ""),
               author=by, ip=ip)
    return Done(author, ["name", "email", "password_hash", "is_admin"])


def check_author(name, email, password):
    """A new author's name and e-mail address, stripped; ActionError when one
    of the three is refused (checked before anything is stored)."""
    for field, message in author_errors(name, email, password).items():
        raise ActionError(message, field)
    return name.strip(), email.strip()


def author_errors(name, email, password):
    """Everything wrong with a new author's name, e-mail address and password
    at once: {field: message}, empty when all three pass."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "An author needs a name"
    if not _plausible_email((email or "").strip()):
        errors["email"] = "Not an e-mail address: %r" % (email or "").strip()
    try:
        _check_new_password(password)
    except ActionError as error:
        errors[error.field] = error.message
    return errors


def change_email(store, author, email, by=None, ip=""):
    """A new e-mail address (where ping notifications go)."""
    email = (email or "").strip()
    if not _plausible_email(email):
        raise ActionError("Not an e-mail address: %r" % email, "email")
    author = author.copy(email=email)
    with store.transaction():
        store.update(author)
        record(store, "author", "Changed the e-mail address of %s" % author.name, author=by or author, ip=ip)
    return Done(author, ["email"])


def change_password(store, author, old, new, keep_session_id=None, ip=""):
    """Change one's own password: the old one must match. Ends the author's
    other sessions (`keep_session_id`: the browser that made the change)."""
    from mtpy.passwords import check_password
    if not check_password(old or "", author.password_hash):
        raise ActionError("The current password is not right", "old_password")
    return set_password(store, author, new, keep_session_id, by=author, ip=ip)


def set_password(store, author, new, keep_session_id=None, by=None, ip="", kind="author", message=None):
    """Give an author a new password (an administrator, or the shell's owner,
    without the old one); ends the author's other sessions and spends a reset
    link not yet used (the new password is known: the link is not needed)."""
    from mtpy.passwords import hash_password
    _check_new_password(new)
    author = author.copy(password_hash=hash_password(new), reset_hash="", reset_expires="")
    with store.transaction():
        store.update(author)
        store.delete_sessions(author.id, keep_id=keep_session_id)
        record(store, kind, message or "Changed the password of %s" % author.name, author=by, ip=ip)
    return Done(author, ["password_hash"])


def edit_author(store, author, name, email, by=None, ip=""):
    """An administrator's change of an author's name and e-mail address (the
    e-mail may be left empty: no notifications and no reset by mail then). The
    weblogs showing the author's published entries are republished: their
    pages print the name and the address."""
    name, email = (name or "").strip(), (email or "").strip()
    if not name:
        raise ActionError("An author needs a name", "name")
    if name != author.name and store.find(Author, name=name):
        raise ActionError("There is already an author named %r" % name, "name")
    if email and not _plausible_email(email):
        raise ActionError("Not an e-mail address: %r" % email, "email")
    changed = [field for field, value in (("name", name), ("email", email)) if value != getattr(author, field)]
    if not changed:
        return Done(author)
    old_name, author = author.name, author.copy(name=name, email=email)
    with store.transaction():
        store.update(author)
        if "name" in changed:
            record(store, "author", "Renamed author %s to %s" % (old_name, name), author=by, ip=ip)
        if "email" in changed:
            record(store, "author", ("Changed the e-mail address of %s" if email else
                                     "Removed the e-mail address of %s") % name, author=by, ip=ip)
        job_ids = _republish_weblogs_of(store, author.id)
    return Done(author, changed, job_ids)


def delete_author(store, author, heir, by=None, ip=""):
    """Delete an author; their entries and categories become `heir`'s. Never
    the last system administrator, and never oneself (`by`): another
    administrator has to do it, so whoever is logged in always keeps an account
    and an installation always keeps an administrator. Their sessions and
    permissions go; the activity log keeps their name."""
    if by is not None and by.id == author.id:
        raise ActionError("You cannot delete yourself: another system administrator has to do it.")
    if heir is None or heir.id == author.id:
        raise ActionError("Choose another author to receive the entries.", "heir_id")
    if author.is_admin and store.count(Author, is_admin=True) <= 1:
        raise ActionError("%s is the last system administrator: make another author one first." % author.name)
    with store.transaction():
        job_ids = _republish_weblogs_of(store, author.id)
        entries = store.find(Entry, author_id=author.id)
        for owned in entries + store.find(Category, author_id=author.id):
            store.update(owned.copy(author_id=heir.id))
        for permission in store.find(Permission, author_id=author.id):
            store.delete(Permission, permission.id)
        store.delete_sessions(author.id)
        store.delete(Author, author.id)
        record(store, "author", "Deleted author %s; %s went to %s" % (
            author.name, _entries(len(entries)), heir.name), author=by, ip=ip)
    return Done(author, ["id"], job_ids)


def owned_counts(store, author):
    """(entries, categories) of an author: what deleting them hands on."""
    return store.count(Entry, author_id=author.id), store.count(Category, author_id=author.id)


def _entries(count):
    return "1 entry" if count == 1 else "%d entries" % count


def _republish_weblogs_of(store, author_id):
    """Queue a rebuild of each published weblog with an entry of the author's
    (their name and address are on its pages); the job ids."""
    from mtpy.publish import is_published
    blog_ids = {entry.blog_id for entry in store.find(Entry, author_id=author_id, status="Publish")}
    return [store.enqueue("rebuild_weblog", {"blog_id": blog.id}).id
            for blog in store.find_in(Blog, "id", sorted(blog_ids)) if is_published(blog)]


# -- password reset by e-mail ---------------------------------------------------------

RESET_LIFETIME = 3600           # seconds a reset link works
RESET_MATCHES = 5               # authors told at most for one request (an address several share)


def authors_to_reset(store, typed):
    """The authors a "Forgot your password?" request names: the one of this
    name, else those with this e-mail address (letter case aside); only those
    with an address to write to."""
    typed = (typed or "").strip()
    if not typed:
        return []
    found = store.find(Author, name=typed)
    if not found and "@" in typed:
        found = [author for author in store.find(Author) if author.email.lower() == typed.lower()]
    return [author for author in found if author.email][:RESET_MATCHES]


def start_reset(store, author, now=None):
    """A new single-use reset link's token for `author` (only the newest link
    works): the store keeps its SHA-256 and when it expires, never the token."""
    token = random_token()
    expires = (dates.local_time(now or dates.utc_now(), 0.0) + timedelta(seconds=RESET_LIFETIME)).strftime(
        dates.STORED_FORMAT)
    with store.transaction():
        store.update(author.copy(reset_hash=token_digest(token), reset_expires=expires))
    return token


def author_for_reset(store, token, now=None):
    """(author, None) for a reset link that works; (None, "expired") for one
    whose hour is over; (None, "unknown") for one used already, replaced by a
    newer one or never sent."""
    if not token or len(token) > 100 or not token.isascii():
        return None, "unknown"
    found = store.find(Author, reset_hash=token_digest(token), limit=1)
    if not found:
        return None, "unknown"
    if (now or dates.utc_now()) >= found[0].reset_expires:
        return None, "expired"
    return found[0], None


def set_admin(store, author, is_admin, by=None, ip=""):
    """Make an author a system administrator, or no longer one. No one takes
    away their own rights (another administrator has to), so an installation
    always keeps one."""
    is_admin = bool(is_admin)
    if author.is_admin and not is_admin and by is not None and by.id == author.id:
        raise ActionError("You cannot remove your own system administrator rights: "
                          "another system administrator has to do it.", "is_admin")
    if is_admin == author.is_admin:
        return Done(author)
    author = author.copy(is_admin=is_admin)
    with store.transaction():
        store.update(author)
        record(store, "author", "%s %s a system administrator" % (author.name, "is now" if is_admin else "is no longer"),
               author=by, ip=ip)
    return Done(author, ["is_admin"])


def set_permissions(store, author, blog, names, by=None, ip=""):
    """What `author` may do in `blog`: exactly `names` (from PERMISSIONS)."""
    unknown = [name for name in names if name not in PERMISSION_NAMES]
    if unknown:
        raise ActionError("Unknown %s %s (known: %s)" % (
            "permission" if len(unknown) == 1 else "permissions", ", ".join(unknown), ", ".join(PERMISSION_NAMES)),
            "can")
    can = [name for name in PERMISSION_NAMES if name in names]
    with store.transaction():
        found = store.find(Permission, author_id=author.id, blog_id=blog.id)
        permission = found[0].copy(can=can) if found else Permission(author_id=author.id, blog_id=blog.id, can=can)
        if permission.id is None:
            store.insert(permission)
        else:
            store.update(permission)
        labels = dict(PERMISSIONS)
        record(store, "author", "%s may in this weblog: %s" % (
            author.name, "; ".join(labels[name].split(" (")[0].lower() for name in can) or "nothing"), blog.id, by, ip)
    return Done(permission, ["can"])


def may(store, author, blog, name):
    """True when `author` may do `name` (a PERMISSIONS name) in `blog`."""
    if author is None:
        return False
    if author.is_admin:
        return True
    found = store.find(Permission, author_id=author.id, blog_id=blog.id)
    return bool(found) and name in found[0].can


def trusted_with_html(store, author, blog):
    """Whether what `author` saves in `blog` is published as typed: an
    administrator, an author with "unfiltered_html" there, or `author` None
    (the shell's owner, running `mtpy`). `blog` None: a new weblog."""
    return author is None or author.is_admin or (blog is not None and may(store, author, blog, "unfiltered_html"))


def clean_unless_trusted(store, author, blog, values, fields, stored):
    """A copy of `values` in which the `fields` typed by an author without
    "unfiltered_html" in `blog` went through mtpy.sanitize.clean_html.
    `author` None is the shell's owner (`mtpy`), trusted like an
    administrator. A value equal to the `stored` record's is left alone: an
    editor who fixes a typo in the title keeps an administrator's script in the
    body."""
    if trusted_with_html(store, author, blog):
        return values
    from mtpy.sanitize import clean_html
    values = dict(values)
    for field in fields:
        value = values.get(field)
        if isinstance(value, str) and (stored is None or value != getattr(stored, field)):
            values[field] = clean_html(value)
    return values


def typed_copy(store, author, blog, kind, existing, values, known, html_fields):
    """Where saving what `author` typed into `existing` (a record of `blog`)
    starts: (a copy of it, or a new `kind` there when it is None or has no
    id; `values` cleaned by clean_unless_trusted; whether it is new).
    ActionError for a field not `known` or a record of another weblog."""
    unknown_fields(values, known)
    is_new = existing is None or existing.id is None
    copy = (existing or kind(blog_id=blog.id)).copy()
    if copy.blog_id != blog.id:
        raise ActionError("%s %s is not in weblog %d" % (kind.__name__, copy.id, blog.id))
    return copy, clean_unless_trusted(store, author, blog, values, html_fields, None if is_new else copy), is_new


def weblogs_of(store, author):
    """The weblogs an author works in: every one for an administrator."""
    blogs = store.find(Blog)
    if author.is_admin:
        return blogs
    allowed = {permission.blog_id for permission in store.find(Permission, author_id=author.id) if permission.can}
    return [blog for blog in blogs if blog.id in allowed]


def authenticate(store, name, password, log_file=None):
    """The author with this name and password, or None. An unknown name costs
    a password check too, so the answer's time does not tell names apart. A
    hash made with fewer iterations than new ones get is made again now that the
    password is at hand; one whose count mtpy never writes matches nothing and
    is reported in the log (`log_file`; the web server's error log without one)."""
    from mtpy.passwords import check_password, needs_rehash, stored_iterations
    found = store.find(Author, name=(name or "").strip()) if name else []
    if not found:
        check_password(password or "", DUMMY_HASH)
        return None
    author = found[0]
    if not check_password(password or "", author.password_hash):
        if stored_iterations(author.password_hash) is None and author.password_hash.startswith("pbkdf2_sha256$"):
            from mtpy.web import log_error
            log_error(log_file, "The password hash of author %d has an iteration count outside the accepted "
                                "range: it matches no password; set a new one (`mtpy author password`)" % author.id)
        return None
    if needs_rehash(author.password_hash):
        from mtpy.passwords import hash_password
        author = author.copy(password_hash=hash_password(password))
        with store.transaction():
            store.update(author)
    return author


def find_author(store, name):
    found = store.find(Author, name=(name or "").strip())
    if not found:
        raise ActionError("No author named %r" % name, "name")
    return found[0]


# A hash of no one's password, with the same iterations as new ones (passwords.ITERATIONS).
DUMMY_HASH = "pbkdf2_sha256$600000$4GxC1a1l0OhEcDMUqCrX6g==$ysUfikKsC4AnNv9ThRK4Ufl8WqWTJEWfAIDEqYpqSLA="


def _check_new_password(password):
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ActionError("A password needs at least %d characters" % MIN_PASSWORD_LENGTH, "password")


def _plausible_email(text):
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and not any(char.isspace() or char in "<>,;\"" for char in text))


# -- the last resort: a code in a file the owner uploads over FTP ---------------------

RECOVERY_FILE = "recover.txt"     # in the data folder, which the web server never serves
RECOVERY_LIFETIME = 3600          # seconds after its upload the file counts
RECOVERY_CODE_LENGTH = 12         # characters at least, whitespace around it aside
RECOVERY_FILE_LIMIT = 1024        # bytes read of it


def recovery_path(config):
    return os.path.join(config.get("DataSource"), RECOVERY_FILE)


def recovery_code_problem(config, typed, now=None):
    """None when `typed` is the code in a fresh recovery file; else why not, for
    the activity log only (a page says the same whatever the reason, so that
    no one learns whether there is a file). Fresh: a regular file (not a
    link), uploaded within RECOVERY_LIFETIME seconds by its ctime (set by the
    server when the file is written; an FTP client that keeps a file's time
    sets only its mtime), of RECOVERY_CODE_LENGTH characters or more.
    Compared in constant time. `now`: seconds since the epoch (the clock)."""
    try:
        descriptor = os.open(recovery_path(config), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return "no recovery file"
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return "the recovery file is not a file"
        data = os.read(descriptor, RECOVERY_FILE_LIMIT)
    finally:
        os.close(descriptor)
    if (now if now is not None else time.time()) - status.st_ctime > RECOVERY_LIFETIME:
        return "the recovery file is older than an hour"
    code = data.decode("utf-8", "replace").lstrip("\ufeff").strip()
    if len(code) < RECOVERY_CODE_LENGTH:
        return "the code in the recovery file is shorter than %d characters" % RECOVERY_CODE_LENGTH
    if not hmac.compare_digest((typed or "").strip().encode("utf-8"), code.encode("utf-8")):
        return "a wrong code"
    return None


def recover_admin(store, config, name, email, password, ip=""):
    """After the recovery file's code was typed right: the author `name` gets
    `password` and becomes a system administrator (a new one is created when
    no author has that name, with `email`). The file is deleted first, so that
    it works once (of two requests at once, one deletes it, the other is
    refused); ActionError when it cannot be, and then nothing changes."""
    name = (name or "").strip()
    found = store.find(Author, name=name) if name else []
    if found:
        _check_new_password(password)
    else:
        check_author(name, email, password)
    try:
        os.unlink(recovery_path(config))
    except FileNotFoundError:
        raise ActionError(RECOVERY_SPENT)
    except OSError as error:
        raise ActionError("mt.cgi could not delete the recovery file (%s), so it was not used: make the data "
                          "folder writable by the web server, or delete the file and ask someone with a "
                          "shell to run `mtpy author password`." % error.strerror)
    message = "Password recovered for %s with the recovery file%s"
    if not found:
        author = create_author(store, name, email, password, is_admin=True, ip=ip).record
        with store.transaction():
            record(store, "password_reset", message % (name, ": a new system administrator"), author=author, ip=ip)
        return author
    author = found[0]
    with store.transaction():
        author = set_password(store, author, password, by=author, ip=ip, kind="password_reset",
                              message=message % (name, "")).record
        author = set_admin(store, author, True, by=author, ip=ip).record    # logged when it was not one
    return author


RECOVERY_SPENT = "The recovery file was used already: upload a new one to try again."
