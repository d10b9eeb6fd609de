"""The weblogs: the list an author starts from, a new weblog, its settings."""

import os

from mtpy import work
from mtpy.actions import ActionError
from mtpy.actions.weblogs import timezone_name
from mtpy.apps.cms.screen import mode

# The offsets Movable Type offered, in hours from UTC.
TIMEZONES = [-12, -11, -10, -9.5, -9, -8, -7, -6, -5, -4, -3.5, -3, -2, -1, 0, 1, 2, 3, 3.5, 4, 4.5, 5, 5.5,
             5.75, 6, 6.5, 7, 8, 8.75, 9, 9.5, 10, 10.5, 11, 12, 12.75, 13, 14]

TEXT_FIELDS = ("name", "description", "site_url", "site_path", "archive_url", "archive_path")
FLAGS = ("allow_pings_default", "email_new_pings", "hold_over_limit", "autodiscover_links", "accept_pings",
         "accept_trackback", "accept_pingback", "accept_webmention")
# The spam defences' settings, checked by actions.weblogs.checked_values.
SPAM_FIELDS = ("moderate_pings", "linkback_check", "junk_words", "close_pings_after_days", "own_links")


def _choices():
    """The settings' pull-down menus: time zones, moderation, link-back checks,
    links from this installation's own weblogs."""
    from mtpy.actions.weblogs import LINKBACK_CHECKS, MODERATION, MODERATION_DOES, OWN_LINKS
    return {"timezones": timezone_options(), "moderation": list(MODERATION.items()),
            "moderation_does": [(MODERATION[name], does) for name, does in MODERATION_DOES.items()],
            "linkback_checks": list(LINKBACK_CHECKS.items()), "own_links_rules": list(OWN_LINKS.items())}


def timezone_options():
    return [(repr(float(hours)), timezone_name(hours)) for hours in TIMEZONES]


@mode("dashboard")
def dashboard(screen):
    rows = []
    for blog in screen.weblogs():
        counts = screen.store.count_pings_by_state(blog_id=blog.id)
        rows.append({"blog": blog, "entries": screen.store.count_entries(blog.id),
                     "pings": counts["published"], "junk": counts["junk"], "held": counts["held"]})
    waiting, failed = work.waiting_work(screen.store) if screen.author.is_admin else (0, [])
    return screen.render("dashboard.html", rows=rows, check_left_on=_check_left_on(screen),
                         waiting=waiting, failed=failed)


@mode("run_work", admin=True, methods=("POST",))
def run_work(screen):
    """The dashboard's "Run now": the waiting work, failed jobs included,
    runs after the answer (a runner already at work keeps it)."""
    response = screen.redirect("dashboard", saved="work_started")
    response.after.append(lambda: work.run_due_work(screen.config, retry_failed=True))
    return response


def _check_left_on(screen):
    """Whether to tell a system administrator that mt-check.cgi still answers."""
    if not (screen.author.is_admin and screen.config.get("SystemCheck")):
        return False
    script = screen.request.environ.get("SCRIPT_FILENAME")
    folder = os.path.dirname(os.path.realpath(script)) if script else screen.config.folder
    return os.path.exists(os.path.join(folder, "mt-check.cgi"))


def _values_from(form):
    """The settings form's values. The folders are fields for a system
    administrator only (actions.weblogs.check_folders): another author's form
    has none, and leaves them as they are."""
    from mtpy.actions.weblogs import FOLDERS
    values = {name: form.get(name).strip() for name in TEXT_FIELDS if name in form or name not in FOLDERS}
    values.update({name: form.get(name) == "1" for name in FLAGS})
    values["update_ping_urls"] = form.get("update_ping_urls")
    values.update({name: form.get(name) for name in SPAM_FIELDS if name in form})
    try:
        values["timezone"] = float(form.get("timezone") or 0)
    except ValueError:
        raise ActionError("Choose a time zone from the list.", "timezone")
    return values


def proposed_place(screen, name):
    """{site_url, site_path} of a weblog published in the folder `name` beside
    `cgi-bin/` (set-up's first weblog: `archives/`). Its URL: from the web
    server's document root when the folder is inside it (Apache); where the
    document root is the scripts' own folder (lighttpd's alias for cgi-bin/),
    the shipped server configurations serve `archives/` at the root (another
    folder: at /NAME/ once the owner serves it there); otherwise beside cgi-bin/."""
    root = os.path.dirname(screen.config.folder)
    site_path = os.path.join(root, name)
    real = os.path.realpath(site_path)
    document_root = screen.request.environ.get("DOCUMENT_ROOT")
    document_root = os.path.realpath(document_root) if document_root else None
    host = screen.request.host_url
    if document_root == os.path.realpath(screen.config.folder):
        site_url = host + "/" + ("" if name == "archives" else name + "/")
    elif document_root and (real == document_root or real.startswith(document_root.rstrip("/") + "/")):
        relative = real[len(document_root):].strip("/")
        site_url = host + "/" + (relative + "/" if relative else "")
    else:
        above = screen.request.script_name.rsplit("/", 2)[0]    # /~you/cgi-bin/mt.cgi -> /~you
        site_url = host + above + "/" + name + "/"
    return {"site_url": site_url, "site_path": site_path}


def _free_folder_name(screen):
    """`archives` while no weblog is published there and it holds nothing,
    else the first `weblog-N` (N from 2) that neither a weblog nor a file uses."""
    from mtpy.models import Blog
    root = os.path.dirname(screen.config.folder)
    used = {os.path.realpath(path) for blog in screen.store.find(Blog)
            for path in (blog.site_path, blog.archive_path) if path}

    def free(name):
        path = os.path.join(root, name)
        if os.path.realpath(path) in used:
            return False
        return not os.path.exists(path) or os.path.isdir(path) and not os.listdir(path)
    if free("archives"):
        return "archives"
    number = 2
    while not free("weblog-%d" % number):
        number += 1
    return "weblog-%d" % number


@mode("blog_new", admin=True, methods=("GET", "POST"))
def blog_new(screen):
    from mtpy.actions.weblogs import create_weblog
    from mtpy.models import Blog
    from mtpy.actions.weblogs import NEW_WEBLOG
    errors, blog = {}, Blog(name="", allow_pings_default=True, email_new_pings=True,
                            **dict(NEW_WEBLOG, **proposed_place(screen, _free_folder_name(screen))))
    if screen.request.method == "POST":
        try:
            values = _values_from(screen.request.form)
            blog = Blog(**{name: values[name] for name in values})
            with screen.store.transaction():
                done = create_weblog(screen.store, screen.config, values, author=screen.author,
                                     ip=screen.request.remote_addr, build=True)
            blog, screen.jobs = done.record, done.job_ids
        except ActionError as error:
            errors[error.field] = error.message
        else:
            return screen.redirect("blog_settings", blog_id=blog.id, saved="created")
    return screen.render("blog_settings.html", blog=blog, errors=errors, new=True, active="blog_settings",
                         **_choices())


@mode("blog_settings", permission="settings", methods=("GET", "POST"))
def blog_settings(screen):
    from mtpy.actions.weblogs import change_weblog
    errors, blog = {}, screen.blog
    if screen.request.method == "POST":
        try:
            values = _values_from(screen.request.form)
            blog = blog.copy(**values)
            with screen.store.transaction():
                screen.jobs += change_weblog(screen.store, screen.config, screen.blog, values, author=screen.author,
                                             ip=screen.request.remote_addr)
        except ActionError as error:
            errors[error.field] = error.message
        else:
            return screen.redirect("blog_settings", blog_id=screen.blog.id, saved="saved")
    return screen.render("blog_settings.html", blog=blog, errors=errors, new=False, active="blog_settings",
                         **_choices())
