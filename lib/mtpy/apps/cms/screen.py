"""What every mt.cgi screen shares: the registry of modes and the Screen a
mode works with (the request, the store, who is logged in, which weblog).

A mode is a function `(screen) -> Response`, registered with `@mode(...)`, which
says what it needs: a logged-in author (all but set-up and log-in), a system
administrator, a weblog and a permission in it. The application checks all of it
on the server before the function runs, and checks the form's token on every
POST (before a login, the token of the browser's form cookie): a screen never
checks its own access.

A form that must never lose what was typed (an entry, QuickPost, a template) is
`resumable`: a POST of it that meets an ended session or an expired form token
is not done, and what it typed comes back in the form (`screen.resumed`), after
the login where one is needed, to be checked and saved again with a new token.
"""

from urllib.parse import urlencode

from mtpy import web
from mtpy.actions import ActionError

MODES = {}


class Mode:
    def __init__(self, function, login, admin, blog, permission, methods, resumable):
        self.function = function
        self.login = login
        self.admin = admin
        self.blog = blog or permission is not None
        self.permission = permission
        self.methods = methods
        self.resumable = resumable


def mode(name, login=True, admin=False, blog=False, permission=None, methods=("GET",), resumable=False):
    """Register a mode. `permission` (a name of actions.authors.PERMISSIONS)
    implies a weblog; `methods` including POST makes the form token required
    for POST. `resumable`: its GET shows the form filled in with
    `screen.resumed` when that is set, and saves nothing."""
    def register(function):
        MODES[name] = Mode(function, login, admin, blog, permission, methods, resumable)
        return function
    return register


# Fixed notices shown after a redirect (?saved=NAME): never text from the request.
NOTICES = {
    "saved": "Your changes have been saved.",
    "created": "Created.",
    "deleted": "Deleted.",
    "banned": "The address is banned; its next ping will be refused.",
    "unbanned": "The ban was removed.",
    "password": "Your password was changed; your other sessions have ended.",
    "restored": "The template was restored to the default.",
    "released": "The pings are visible now.",
    "junked": "Marked as junk: the pings are hidden.",
    "unjunked": "Marked as not junk.",
    "pings_queued": "The pings are being sent again.",
    "rebuilt": "Rebuilt.",
    "imported": "Imported.",
    "published": "Saved. The pages are being republished.",
    "work_started": "The waiting work is running now: reload this page in a moment to see what is left.",
    "logged_out": "You have logged out.",
    "welcome": "Your weblog is ready. Write your first entry, then open the weblog.",
}

# Why a POST was not done and what became of what it typed (the warnings of
# the login page, then of the form shown again).
SESSION_ENDED = "Your session had ended, so nothing was changed. Log in to go on."
SESSION_ENDED_KEPT = ("Your session had ended, so nothing was saved yet. Log in: what you typed is shown again, "
                      "to check and save.")
SESSION_ENDED_TOO_LONG = ("Your session had ended, so nothing was saved, and what you typed is too long to keep "
                          "here. Go back in your browser and copy it before you log in.")
SESSION_ENDED_GET = "Your session has ended. Log in to go back to the page you were on."
RESUMED = "Your session had ended; nothing was saved yet. Check and save again."
FORM_EXPIRED_RESUMED = ("This form had expired (it was shown before your last login), so nothing was saved yet. "
                        "Check and save again.")

# What such a POST keeps: everything typed but its form token and passwords,
# within these bounds (the login page carries it in hidden fields, so twice
# through the browser).
KEPT_PREFIX = "typed."
KEPT_MAX_VALUES = 500
KEPT_MAX_CHARACTERS = 1000000


def kept_fields(pairs):
    """[(name, value)] of a refused form's fields worth showing again, from
    (name, value) pairs; None when they are over the bounds."""
    kept, size = [], 0
    for name, value in pairs:
        if name == "magic_token" or "password" in name:
            continue
        kept.append((name, value))
        size += len(name) + len(value)
    if len(kept) > KEPT_MAX_VALUES or size > KEPT_MAX_CHARACTERS:
        return None
    return kept


def form_pairs(form, prefix=""):
    """Every (name, value) of a form whose name starts with `prefix`, which is
    taken off, in the order of the names."""
    return [(name[len(prefix):], value) for name in form if name.startswith(prefix) for value in form.getlist(name)]


def sent_from_this_site(request):
    """Whether the browser says this POST came from a page of this site: its
    Sec-Fetch-Site, else the host of its Origin. A browser that sends neither
    (an old one) is believed: only what was typed comes back from it, shown in
    a form, never saved without a new token."""
    site = request.environ.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.environ.get("HTTP_ORIGIN")
    return origin is None or origin.partition("://")[2] == request.host_url.partition("://")[2]


class Screen:
    """One request to mt.cgi, as the mode function sees it."""

    def __init__(self, app, request):
        self.app = app
        self.config = app.config
        self.request = request
        self.store = None
        self.session = None
        self.author = None
        self.blog = None
        self.jobs = []          # ids of deferred work to run after the answer
        self.csp_nonce = None
        self.form_token = None  # (token, new) of a form shown before a login
        self.resumed = None     # MultiDict: what a POST not done typed, to show again (a `resumable` mode)
        self.warning = None     # why what was asked was not done, above the page
        self.weblog_counts = None   # the weblog's pings by state, counted once a request (held_pings)

    def held_pings(self):
        """How many of the weblog's pings wait for approval (the TrackBacks tab
        says it on every page): counted once a request, or taken from the
        TrackBacks screen's own count of the whole weblog."""
        if self.weblog_counts is None:
            self.weblog_counts = self.store.count_pings_by_state(blog_id=self.blog.id)
        return self.weblog_counts["held"]

    # -- addresses -----------------------------------------------------------

    def url(self, mode_name, **params):
        """The relative URL of a mode: the script's own path and a query."""
        query = [("__mode", mode_name)] + [(name, value) for name, value in params.items() if value is not None]
        return "%s?%s" % (self.request.script_name, urlencode(query))

    @property
    def here(self):
        """This request's address to come back to: the script's path and the
        query (none of the body, nor a notice shown once), or None for the
        plain dashboard."""
        query = [(name, value) for name, value in form_pairs(self.request.query) if name != "saved"]
        if not query:
            return None
        return "%s?%s" % (self.request.script_name, urlencode(query))

    @property
    def check_url(self):
        """mt-check.cgi, beside this script."""
        return self.request.script_name.rsplit("/", 1)[0] + "/mt-check.cgi"

    @property
    def can_send(self):
        """Whether this host can send pings and fetch pages (the requests package)."""
        from importlib.util import find_spec
        return find_spec("requests") is not None

    def redirect(self, mode_name, **params):
        return web.redirect(self.url(mode_name, **params))

    def param(self, name, default=""):
        return self.request.param(name, default)

    def weblog_record(self, kind, name, label):
        """The record of kind `kind` whose id the parameter `name` gives, in this
        weblog; None when the parameter is not given; 404 when there is no such
        record here (one of another weblog is not found either)."""
        if not self.param(name):
            return None
        from mtpy.apps.cms.base import HTTPError
        record_id = self.int_param(name)
        record = self.store.get(kind, record_id) if record_id is not None else None
        if record is None or record.blog_id != self.blog.id:
            raise HTTPError(404, "No such %s in this weblog." % label)
        return record

    def paging(self, total, per_page):
        """(page, pages, offset) for the `page` parameter, kept within the pages."""
        pages = max(1, (total + per_page - 1) // per_page)
        page = min(max(self.int_param("page") or 1, 1), pages)
        return page, pages, (page - 1) * per_page

    def int_param(self, name):
        from mtpy.text import record_id
        return record_id(self.request.param(name, ""))

    # -- permissions ---------------------------------------------------------

    def may(self, permission, blog=None):
        from mtpy.actions.authors import may
        blog = blog or self.blog
        return self.author is not None and blog is not None and may(self.store, self.author, blog, permission)

    def weblogs(self):
        from mtpy.actions.authors import weblogs_of
        return weblogs_of(self.store, self.author) if self.author is not None else []

    # -- forms ---------------------------------------------------------------

    def csrf_token(self):
        """The token of this page's forms: the session's, or before a login
        the one of the browser's form cookie (sent with the page when new)."""
        from mtpy import sessions
        if self.session is not None:
            return sessions.csrf_token(self.config, self.session)
        if self.form_token is None:
            self.form_token = sessions.login_form_token(self.request)
        return self.form_token[0]

    def confirm_password(self):
        """ActionError (field "confirm_password") unless the form's
        `confirm_password` is the logged-in author's password. Asked before the
        changes that give power (administrator flag, permissions, new authors,
        templates): a script that ran in the browser of a logged-in person has
        the session and the form's token, never the password. A wrong one
        counts as a failed login (sessions.login_wait), so it cannot be guessed
        here any faster than at the login."""
        from mtpy import sessions
        from mtpy.actions.activity import record
        from mtpy.passwords import check_password
        name, ip = self.author.name, self.request.remote_addr
        if sessions.login_wait(self.store, ip, name):
            raise ActionError("Too many wrong passwords: try again in a few minutes.", "confirm_password")
        if not check_password(self.request.form.get("confirm_password") or "", self.author.password_hash):
            with self.store.transaction():
                record(self.store, "login_failed", "Wrong password confirming a change, as %s" % name,
                       author=self.author, ip=ip)
            raise ActionError("Your password was not right: nothing was changed.", "confirm_password")

    def notice(self):
        return NOTICES.get(self.request.query.get("saved"))

    # -- pages ---------------------------------------------------------------

    def render(self, template, status=200, **values):
        from mtpy.apps.cms.pages import render
        response = render(self, template, status, values)
        if self.form_token is not None and self.form_token[1]:
            from mtpy import sessions
            sessions.set_form_cookie(response, self.request, self.config, self.form_token[0])
        return response
