"""Authors: accounts, passwords, what each may do in which weblog."""

from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.models import Author, Blog, Permission

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


def set_password(store, author, new, keep_session_id=None, by=None, ip=""):
    """Give an author a new password (an administrator, or the shell's owner,
    without the old one); ends the author's other sessions."""
    from mtpy.passwords import hash_password
    _check_new_password(new)
    author = author.copy(password_hash=hash_password(new))
    with store.transaction():
        store.update(author)
        store.delete_sessions(author.id, keep_id=keep_session_id)
        record(store, "author", "Changed the password of %s" % author.name, author=by, ip=ip)
    return Done(author, ["password_hash"])


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
        raise ActionError("Unknown permission(s) %s (known: %s)" % (
            ", ".join(unknown), ", ".join(PERMISSION_NAMES)), "can")
    can = [name for name in PERMISSION_NAMES if name in names]
    with store.transaction():
        found = store.find(Permission, author_id=author.id, blog_id=blog.id)
        permission = found[0].copy(can=can) if found else Permission(author_id=author.id, blog_id=blog.id, can=can)
        if permission.id is None:
            store.insert(permission)
        else:
            store.update(permission)
        record(store, "author", "%s may: %s" % (author.name, ", ".join(can) or "nothing"), blog.id, by, ip)
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
