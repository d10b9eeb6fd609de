"""mt.cgi's logins: session cookies, CSRF tokens, and slowing password guessing.

The cookie is `<token>.<signature>`: a random token and its HMAC-SHA256 under
the installation's secret (`<DataSource>/session-secret`). The store keeps only
the token's SHA-256, so reading the store (a backup, a leaked flat file) gives
no cookie, and a cookie not signed with the secret costs no store lookup.
A session ends after SessionTimeout seconds without a request (MT's 4 hours by
default) and 7 days after the login whatever happens.

The forms shown before a login (log-in, set-up, upgrade) have no session to tie
a token to: they carry the value of a cookie of their own (FORM_COOKIE, a
double-submit token), which a page of another site can neither read nor send
with its POST (SameSite=Lax).
"""

import hashlib
import hmac
import math
import os

from mtpy import dates
from mtpy.models import Activity, Author, Session
from mtpy.tokens import random_token, token_digest

COOKIE = "mtpy_session"
FORM_COOKIE = "mtpy_form"
SECRET_FILE = "session-secret"
MAX_AGE = 7 * 24 * 3600           # absolute expiry, seconds after the login
SEEN_EVERY = 60                   # seen_on is written at most once a minute

# Slowing password guessing: see login_wait. Failures older than LOGIN_WINDOW
# are forgotten; past its allowance of failures, a count makes the next attempt
# wait FIRST_WAIT seconds after the newest of them, doubling with each further
# failure up to its longest wait.
LOGIN_WINDOW = 3600
FIRST_WAIT = 15
LOGIN_NAME_LENGTH = 80            # a typed name is counted (and logged) by its first 80 characters
# (what is counted, failures allowed, longest wait in seconds)
LOGIN_RULES = (
    (("author_name", "ip"), 5, 15 * 60),     # this name from this address
    (("ip",), 10, 15 * 60),                  # this address, any name: one office shares it
    (("author_name",), 5, 60),               # this name from anywhere: never more than a minute
)

_secrets = {}                     # path -> bytes, for the process's life


def secret(config):
    """The installation's 32 secret bytes, made once in the data folder (which
    the web server never serves), mode 0600, owned by the user the scripts run
    as: only they sign and check cookies, so even where the owner and the web
    server's user share the data folder nobody else needs to read it. Two
    processes racing to make it end up with the same one: each writes its own
    candidate and links it into place; the link fails for all but the first."""
    folder = config.get("DataSource")
    path = os.path.join(folder, SECRET_FILE)
    if path not in _secrets:
        found = _read_secret(path)
        if found is None:
            found = _create_secret(folder, path, replace=os.path.lexists(path))
        _secrets[path] = found
    return _secrets[path]


def _read_secret(path):
    """The secret's bytes, or None where there is none this process can trust:
    no file; one it cannot read (made by the other account of a shared
    installation); a symbolic link; one that others than its owner may read or
    write (an earlier release's 0666 file: anyone could have read or chosen its
    bytes). Such a file is replaced, which ends every session once."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:       # missing, unreadable, or a symbolic link (ELOOP)
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if os.fstat(handle.fileno()).st_mode & 0o077:
            return None
        data = handle.read(33)
    if len(data) != 32:
        raise RuntimeError("%s is damaged (not 32 bytes): delete it to make a new one "
                           "(everyone logs in again)" % path)
    return data


def _create_secret(folder, path, replace=False):
    from mtpy import fileutil
    fileutil.make_data_folder(folder)
    candidate = "%s.%d.%s" % (path, os.getpid(), os.urandom(4).hex())
    descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)      # whatever the umask and DBUmask
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:                       # one not to trust: ours takes its place
            os.replace(candidate, path)
        else:
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass                      # another process made it first: theirs counts
            except OSError:               # a file system without hard links: the last one counts
                if not os.path.exists(path):
                    os.replace(candidate, path)
    finally:
        if os.path.exists(candidate):
            os.unlink(candidate)
    found = _read_secret(path)
    if found is None:
        raise RuntimeError("%s cannot be made private to the scripts' user" % path)
    return found


def _sign(config, purpose, data):
    return hmac.new(secret(config), purpose + b":" + data.encode("ascii"), hashlib.sha256).hexdigest()


def _seconds_between(earlier, later):
    """Seconds from one stored UTC time to another."""
    return (dates.local_time(later, 0.0) - dates.local_time(earlier, 0.0)).total_seconds()


# -- sessions ---------------------------------------------------------------------

def start(store, config, author, request, now=None):
    """Log `author` in: (the new Session, the cookie's value). `now`: a stored
    UTC time, for tests; the clock otherwise."""
    now = now or dates.utc_now()
    token = random_token()
    session = Session(author_id=author.id, token_hash=token_digest(token), created_on=now, seen_on=now)
    store.insert(session)
    return session, "%s.%s" % (token, _sign(config, b"session", token))


def current(store, config, request, now=None):
    """(Session, Author) of the request's login, or (None, None): no cookie, a
    cookie not signed by this installation, a session that ended or expired (an
    expired one is deleted), or an author who is gone."""
    token, _, signature = request.cookies.get(COOKIE, "").partition(".")
    if not token or len(token) > 100 or not token.isascii() or not signature.isascii():
        return None, None
    if not hmac.compare_digest(_sign(config, b"session", token), signature):
        return None, None
    found = store.find(Session, token_hash=token_digest(token), limit=1)
    if not found:
        return None, None
    session = found[0]
    now = now or dates.utc_now()
    idle = _seconds_between(session.seen_on, now)
    if idle > config.get("SessionTimeout") or _seconds_between(session.created_on, now) > MAX_AGE:
        end(store, session)
        return None, None
    author = store.get(Author, session.author_id)
    if author is None:
        end(store, session)
        return None, None
    if idle >= SEEN_EVERY:
        session.seen_on = now
        store.update(session)
    return session, author


def end(store, session):
    """Log out: the session's cookie opens nothing any more."""
    store.delete(Session, session.id)


def cookie_attributes(request, config):
    """Set-Cookie attributes for mt.cgi's cookies: sent to this script alone,
    never to scripts (JavaScript), not on cross-site POSTs, only over HTTPS
    when the request came over HTTPS (directly, or as a trusted proxy's
    X-Forwarded-Proto says) or when `SecureCookies 1` says it always does."""
    return {"path": request.script_name or "/", "http_only": True, "same_site": "Lax",
            "secure": request.is_secure or config.get("SecureCookies") == "1"}


def set_cookie(response, request, config, value):
    response.set_cookie(COOKIE, value, **cookie_attributes(request, config))


def clear_cookie(response, request, config):
    attributes = cookie_attributes(request, config)
    response.delete_cookie(COOKIE, attributes["path"], secure=attributes["secure"])


# -- CSRF -------------------------------------------------------------------------

def csrf_token(config, session):
    """The token every form of this session carries (a hidden `magic_token`
    field, as in MT): derived from the session, so it ends with it."""
    return _sign(config, b"csrf", session.token_hash)


def check_csrf(config, session, submitted):
    """Whether a submitted form carries its session's token (constant time)."""
    if session is None or not isinstance(submitted, str):
        return False
    return hmac.compare_digest(csrf_token(config, session).encode("ascii"),
                               submitted.encode("utf-8", "replace"))


def login_form_token(request):
    """(token, new) for a form shown before a login: the browser's FORM_COOKIE
    when it holds one, else a new token (`new`: set_form_cookie must send it)."""
    token = request.cookies.get(FORM_COOKIE, "")
    if _is_form_token(token):
        return token, False
    return random_token(), True


def set_form_cookie(response, request, config, token):
    response.set_cookie(FORM_COOKIE, token, **cookie_attributes(request, config))


def check_login_form(request):
    """Whether a POST to a form shown before a login came from this site's own
    page: the browser does not say it came from another site (Sec-Fetch-Site),
    and the form's `magic_token` is the value of its FORM_COOKIE (constant time)."""
    if request.environ.get("HTTP_SEC_FETCH_SITE", "same-origin") not in ("same-origin", "none"):
        return False
    cookie = request.cookies.get(FORM_COOKIE, "")
    submitted = request.form.get("magic_token")
    return (_is_form_token(cookie) and isinstance(submitted, str)
            and hmac.compare_digest(cookie.encode("ascii"), submitted.encode("utf-8", "replace")))


def _is_form_token(token):
    return 32 <= len(token) <= 64 and token.isascii() and token.replace("-", "").replace("_", "").isalnum()


# -- slowing password guessing ------------------------------------------------------

def login_name(typed):
    """The name a login attempt is counted and logged under: the typed name,
    stripped, cut at LOGIN_NAME_LENGTH characters (one rule for the count, the
    log and the check, so that a longer name cannot escape its count)."""
    return (typed or "").strip()[:LOGIN_NAME_LENGTH]


def record_failed_login(store, ip, typed_name, note=""):
    """Log a failed login (what login_wait counts); returns its line."""
    from mtpy.actions.activity import record
    name = login_name(typed_name)
    with store.transaction():
        return record(store, "login_failed", "Failed login as %s%s" % (name, note), ip=login_sender(ip),
                      author_name=name)


def login_sender(ip):
    """Who a failed login is counted against: the address, or for IPv6 its /64
    (as the ping throttles count), so that one host cannot try a name again
    from each of its 2**64 addresses."""
    from mtpy.addresses import sender_name
    return sender_name(ip or "")


def login_wait(store, ip, name, now=None):
    """Seconds for which a login from `ip` for the typed `name` is refused;
    0: allowed. Counted from the activity log's "login_failed" lines of the last
    hour (LOGIN_WINDOW), by LOGIN_RULES: this name from this address, and this
    address whatever the name, slow down to a quarter of an hour between
    attempts; this name from all addresses together to a minute at most, and
    not at all for an address with no failure in the window, so that nobody can
    keep the owner out by failing on purpose (the owner's right password from
    an address that has not failed always gets in). Record no failure for a
    refused attempt: waiting must end the refusal."""
    now = now or dates.utc_now()
    since = _stored_before(now, LOGIN_WINDOW)
    values = {"ip": login_sender(ip), "author_name": login_name(name)}
    failures = {fields: store.count_activity_since("login_failed", since, **{field: values[field] for field in fields})
                for fields, _, _ in LOGIN_RULES}
    wait = 0
    for fields, allowed, longest in LOGIN_RULES:
        if failures[fields] < allowed or (fields == ("author_name",) and not failures[("ip",)]):
            continue
        wait = max(wait, _wait_after(store, "login_failed", {field: values[field] for field in fields},
                                     failures[fields] - allowed, longest, now))
    return wait


def _wait_after(store, kind, match, beyond, longest, now):
    """Seconds left to wait after the newest line of `kind` matching `match`,
    `beyond` lines past the allowance: FIRST_WAIT, doubling, up to `longest`."""
    newest = store.find(Activity, order_by="created_on", desc=True, limit=1, kind=kind, **match)
    delay = min(longest, FIRST_WAIT * 2 ** min(beyond, 16))
    return math.ceil(delay - _seconds_between(newest[0].created_on, now))


# Asking for a password reset by e-mail: RESETS_PER_ADDRESS an hour from one
# address (then waits as after failed logins, up to a quarter of an hour), and
# RESET_MAILS_PER_AUTHOR mails an hour to one author whoever asks (more are
# not sent, and the page says the same), so nobody fills an inbox with them.
RESETS_PER_ADDRESS = 5
RESET_MAILS_PER_AUTHOR = 3


def reset_wait(store, ip, now=None):
    """Seconds for which `ip` may not ask for another reset mail; 0: it may.
    Counted from the activity log's "reset_asked" lines of the last hour."""
    now = now or dates.utc_now()
    match = {"ip": login_sender(ip)}
    asked = store.count_activity_since("reset_asked", _stored_before(now, LOGIN_WINDOW), **match)
    if asked < RESETS_PER_ADDRESS:
        return 0
    return max(0, _wait_after(store, "reset_asked", match, asked - RESETS_PER_ADDRESS, 15 * 60, now))


def reset_mails_left(store, author_name, now=None):
    """How many more reset mails an author may be sent this hour."""
    since = _stored_before(now or dates.utc_now(), LOGIN_WINDOW)
    return max(0, RESET_MAILS_PER_AUTHOR - store.count_activity_since("reset_mailed", since, author_name=author_name))


def _stored_before(stored, seconds):
    from datetime import timedelta
    return (dates.local_time(stored, 0.0) - timedelta(seconds=seconds)).strftime(dates.STORED_FORMAT)
