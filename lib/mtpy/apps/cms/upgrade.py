"""The upgrade page: a store made by an older mtpy is upgraded from the browser,
as Movable Type's upgrade screen did.

While the store is older than this code, every other screen leads here, and
mt-tb.cgi turns pings away with "try again later". The page says what each
schema step changes and asks for a system administrator's name and password
itself (the store's sessions may not be readable before the upgrade); then the
store is copied as it is (Store.copy_as_is), upgraded, and the administrator is
logged in on a page that says what was done and where the copy is.
"""

from mtpy import web
from mtpy.apps.cms.screen import mode

# Where the copy made before the upgrade goes, per backend, for the page.
BACKUP_WORDS = {
    "sqlite": "a copy of the database file, made with SQLite's backup function, in the backups folder "
              "of the data folder",
    "flat": "a zip file of the data folder, in its backups folder",
    "postgres": "a copy of every table in a new schema of the same PostgreSQL database "
                "(mtpy_backup_ followed by the date, the time and the schema version)",
}
INVALID_LOGIN = "Invalid login: the name or the password is wrong."
NOT_ADMIN = "Only a system administrator can upgrade mtpy's data."
FAILED = ("The upgrade failed and the data was left as it was. The site's log has the details; "
          "`mtpy upgrade` from a shell says the same.")


@mode("upgrade", login=False, methods=("GET", "POST"))
def upgrade(screen):
    from mtpy import __version__
    from mtpy.store import SCHEMA_VERSION, upgrade_steps
    store = screen.store
    if store.schema_version >= SCHEMA_VERSION:
        return screen.redirect("dashboard")
    values = {"steps": upgrade_steps(store.schema_version), "from_version": store.schema_version,
              "to_version": SCHEMA_VERSION, "backup_words": BACKUP_WORDS.get(screen.config.get("ObjectDriver"), ""),
              "mtpy_version": __version__, "name": "", "errors": {}}
    if screen.request.method != "POST":
        return screen.render("upgrade.html", **values)
    values["name"] = name = screen.request.form.get("username").strip()
    author, status, refusal = _administrator(screen, name, screen.request.form.get("password"))
    if refusal:
        values["errors"] = {None: refusal}
        return screen.render("upgrade.html", status=status, **values)
    from mtpy.store import StoreError
    try:
        upgraded = store.upgrade()
    except (StoreError, OSError) as error:
        web.log_error(screen.config.get("LogFile"), "mt.cgi: the upgrade of %s failed: %s" % (store.location(), error))
        values["errors"] = {None: FAILED}
        return screen.render("upgrade.html", status=500, **values)
    return _logged_in(screen, author, upgraded)


def _administrator(screen, name, password):
    """(author, status, refusal): the system administrator of this name and
    password, or why not. Failed attempts are logged and slowed down as the
    login screen's are, where the old store has the activity log (schema 5 on)."""
    from mtpy import sessions
    from mtpy.actions.authors import DUMMY_HASH
    from mtpy.passwords import check_password
    store, ip = screen.store, screen.request.remote_addr
    logged = store.schema_version >= 5
    if logged:
        wait = sessions.login_wait(store, ip, name)
        if wait:
            from mtpy.apps.cms.account import wait_message
            return None, 429, wait_message(wait)
    author = store.author_as_is(name) if name else None
    if not check_password(password or "", author.password_hash if author else DUMMY_HASH):
        author = None
    if author is None:
        if logged:
            sessions.record_failed_login(store, ip, name, " (upgrade)")
        return None, 403, INVALID_LOGIN
    if not author.is_admin:
        return None, 403, NOT_ADMIN
    return author, 200, None


def _logged_in(screen, author, upgraded):
    """The page that says what was done, with the administrator logged in."""
    from mtpy import sessions
    from mtpy.actions.activity import record
    from mtpy.models import Author
    store = screen.store
    author = store.get(Author, author.id)
    with store.transaction():
        if upgraded.done:
            record(store, "upgrade", "Upgraded mtpy's data from schema version %d to %d; the copy made first: %s"
                   % (upgraded.from_version, upgraded.to_version, upgraded.backup), author=author,
                   ip=screen.request.remote_addr)
        screen.session, cookie = sessions.start(store, screen.config, author, screen.request)
    screen.author = author
    response = screen.render("upgrade_done.html", upgraded=upgraded)
    sessions.set_cookie(response, screen.request, screen.config, cookie)
    return response
