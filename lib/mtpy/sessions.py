"""mt.cgi's logins: session cookies, CSRF tokens, and slowing password guessing.

The cookie is `<token>.<signature>`: a random token and its HMAC-SHA256 under
the installation's secret (`<DataSource>/session-secret`). The store keeps only
the token's SHA-256, so reading the store (a backup, a leaked flat file) gives
no cookie, and a cookie not signed with the secret costs no store lookup.
A session ends after SessionTimeout seconds without a request (MT's 4 hours by
default) and 7 days after the login whatever happens.
"""

import binascii
import hashlib
import hmac
import os

from mtpy import dates
from mtpy.models import Activity, Author, Session

COOKIE = "mtpy_session"
SECRET_FILE = "session-secret"
MAX_AGE = 7 * 24 * 3600           # absolute expiry, seconds after the login
SEEN_EVERY = 60                   # seen_on is written at most once a minute

# Slowing password guessing: see login_wait.
LOGIN_WINDOW = 15 * 60
LOGIN_FAILURES_PER_ADDRESS = 6    # one office's address is shared: a little more room
LOGIN_FAILURES_PER_NAME = 5

_secrets = {}                     # path -> bytes, for the process's life


def secret(config):
    """The installation's 32 secret bytes, made once: in the data folder (which
    the web server never serves), mode 0600 (or as the store's files, where the
    web server's user and the owner share the folder). Two processes racing to make it
    end up with the same one: each writes its own candidate and links it into
    place; the link fails for all but the first."""
    folder = config.get("DataSource")
    path = os.path.join(folder, SECRET_FILE)
    if path not in _secrets:
        _secrets[path] = _read_secret(path) or _create_secret(folder, path)
    return _secrets[path]


def _read_secret(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    if len(data) != 32:
        raise RuntimeError("%s is damaged (not 32 bytes): delete it to make a new one "
                           "(everyone logs in again)" % path)
    return data


def _create_secret(folder, path):
    from mtpy import fileutil
    fileutil.make_data_folder(folder)
    candidate = "%s.%d.%s" % (path, os.getpid(), os.urandom(4).hex())
    descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        # Readable by the other user where the scripts and the owner share the folder.
        os.fchmod(descriptor, fileutil.private_mode(folder))
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(os.urandom(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass                  # another process made it first: theirs counts
        except OSError:           # a file system without hard links: the last one counts
            if not os.path.exists(path):
                os.replace(candidate, path)
    finally:
        if os.path.exists(candidate):
            os.unlink(candidate)
    return _read_secret(path)


def random_token(size=32):
    """secrets.token_urlsafe(size) without the imports of `secrets` (random) and
    `base64` (re), which would cost a CGI process more than the rest of this."""
    encoded = binascii.b2a_base64(os.urandom(size), newline=False)
    return encoded.rstrip(b"=").translate(_URLSAFE).decode("ascii")


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _sign(config, purpose, data):
    return hmac.new(secret(config), purpose + b":" + data.encode("ascii"), hashlib.sha256).hexdigest()


def _token_hash(token):
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _seconds_between(earlier, later):
    """Seconds from one stored UTC time to another."""
    return (dates.local_time(later, 0.0) - dates.local_time(earlier, 0.0)).total_seconds()


# -- sessions ---------------------------------------------------------------------

def start(store, config, author, request, now=None):
    """Log `author` in: (the new Session, the cookie's value). `now`: a stored
    UTC time, for tests; the clock otherwise."""
    now = now or dates.utc_now()
    token = random_token()
    session = Session(author_id=author.id, token_hash=_token_hash(token), created_on=now, seen_on=now)
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
    found = store.find(Session, token_hash=_token_hash(token), limit=1)
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


def cookie_attributes(request):
    """Set-Cookie attributes for the session cookie: sent to this script alone,
    never to scripts (JavaScript), not on cross-site POSTs, only over HTTPS when
    the login came over HTTPS."""
    return {"path": request.script_name or "/", "http_only": True, "same_site": "Lax",
            "secure": request.is_secure}


def set_cookie(response, request, value):
    response.set_cookie(COOKIE, value, **cookie_attributes(request))


def clear_cookie(response, request):
    attributes = cookie_attributes(request)
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


# -- slowing password guessing ------------------------------------------------------

def login_wait(store, ip, name, now=None):
    """Seconds for which logins from `ip` or for the typed `name` are refused;
    0: allowed. Counted from the activity log's "login_failed" lines (which
    the application writes, with the typed name) of the last 15 minutes
    (LOGIN_WINDOW): 6 failures from one address (more than 5), or 5 for one
    name from anywhere, and logins are refused until the oldest of those is
    15 minutes old, so that fewer than that are left in the window. (Record
    no failure for a refused attempt: waiting must end the refusal.)"""
    now = now or dates.utc_now()
    since = _stored_before(now, LOGIN_WINDOW)
    wait = 0
    for field, value, limit in (("ip", ip, LOGIN_FAILURES_PER_ADDRESS),
                                ("author_name", name, LOGIN_FAILURES_PER_NAME)):
        if not value or store.count_activity_since("login_failed", since, **{field: value}) < limit:
            continue
        # Refused until the limit-th newest failure leaves the window.
        recent = store.find(Activity, order_by="created_on", desc=True, limit=limit,
                            kind="login_failed", **{field: value})
        left = LOGIN_WINDOW - _seconds_between(recent[-1].created_on, now)
        wait = max(wait, min(LOGIN_WINDOW, int(left) + 1))
    return wait


def _stored_before(stored, seconds):
    from datetime import timedelta
    return (dates.local_time(stored, 0.0) - timedelta(seconds=seconds)).strftime(dates.STORED_FORMAT)
