"""mt.cgi: the weblog application in the browser (Movable Type's CMS).

Set-up on the first visit, then logging in, weblogs, entries, categories,
TrackBack pings, IP bans, templates, rebuilding, import and export, authors,
the activity log, backups, and the upgrade of a store an older mtpy made (every
other screen leads there until it is done). The rules live in mtpy.actions,
shared with the `mtpy` command; the modes here read a form, call one action and
show the result. Work an action queues (republishing) runs after the answer, as
after a ping.
"""

from urllib.parse import urlencode

from mtpy import web, work
from mtpy.apps.cms.base import Application, HTTPError
from mtpy.apps.cms.screen import (FORM_EXPIRED_RESUMED, MODES, SESSION_ENDED, SESSION_ENDED_KEPT,
                                  SESSION_ENDED_TOO_LONG, Screen, form_pairs, kept_fields, sent_from_this_site)
from mtpy.request import MultiDict, parse_urlencoded

# Importing a module of modes registers them.
from mtpy.apps.cms import (account, activity, authors, backup, bans, bookmarklets, categories,  # noqa: F401
                           entries, pings, rebuild, system, templates, transfer, upgrade, weblogs)

NEWER_STORE = ("This weblog's data was made by a newer version of mtpy than the one installed here, which "
               "cannot use it. Install that version of mtpy (or a newer one) again; the site's log has the details.")
FORM_EXPIRED = ("This form has expired or did not come from this site, so nothing was changed. "
                "Go back, reload the page and try again.")
# A login page's address longer than this is not redirected to (web servers
# refuse request lines over 8 KB): the page is shown at the address asked for.
LOGIN_REDIRECT_MAX = 6000


class CMSApp(Application):
    default_mode = "dashboard"
    log_config_warnings = False     # mtpy.hosting.build: as before, mt-tb.cgi alone logs them

    @staticmethod
    def misconfigured(error):
        """The page while mt.cfg cannot be read; the reason goes to the web
        server's error log."""
        web.log_error(None, "mt.cgi cannot start: %s" % error)
        return web.Response(MISCONFIGURED, status=web.STATUS_TEXT[500])

    def dispatch(self, request):
        screen = Screen(self, request)
        name = request.param("__mode") or self.default_mode
        registered = MODES.get(name)
        if registered is None:
            raise HTTPError(404, "Unknown action %s" % name[:40])
        if request.method not in registered.methods and not (
                request.method == "HEAD" and "GET" in registered.methods):
            raise HTTPError(405, "This action does not take %s requests." % request.method[:10])
        from mtpy import sessions
        if request.method == "POST" and not registered.login and not sessions.check_login_form(request):
            raise HTTPError(403, FORM_EXPIRED)      # log-in, set-up, upgrade: from this site's page only
        from mtpy.store import open_store, NoStoreError, UpgradeNeeded, NewerSchema
        try:
            try:
                screen.store = open_store(self.config, upgrade=name == "upgrade")
            except NoStoreError:
                if name != "setup":
                    return screen.redirect("setup")
                return self._after(screen, registered.function(screen))
            except UpgradeNeeded:   # every screen but the upgrade page waits for it
                return screen.redirect("upgrade")
            except NewerSchema as error:
                web.log_error(self.config.get("LogFile"), "mt.cgi: %s" % error)
                raise HTTPError(503, NEWER_STORE)
            if name == "upgrade":   # it asks for an administrator's password itself
                return registered.function(screen)
            return self._after(screen, self._run(screen, name, registered))
        finally:
            if screen.store is not None and not screen.jobs:
                screen.store.close()

    def _run(self, screen, name, registered):
        from mtpy import sessions
        request = screen.request
        if name == "setup":     # only until the first author exists
            from mtpy.models import Author
            if screen.store.find(Author, limit=1):
                return screen.redirect("login")
            return registered.function(screen)
        screen.session, screen.author = sessions.current(screen.store, self.config, request)
        if registered.login and screen.author is None:
            return self._log_in_first(screen, registered)
        self._authorize(screen, registered)
        if request.method == "POST" and registered.login:
            if not sessions.check_csrf(self.config, screen.session, request.form.get("magic_token")):
                kept = self._kept(screen, registered)
                if kept:        # a form of a session that ended: shown again, not saved
                    return self.resume(screen, screen.here, kept, FORM_EXPIRED_RESUMED, status=403)
                raise HTTPError(403, FORM_EXPIRED)
        return registered.function(screen)

    def _authorize(self, screen, registered):
        """HTTPError unless the logged-in author may use the mode (in its weblog)."""
        if registered.admin and not screen.author.is_admin:
            raise HTTPError(403, "Only a system administrator may do this.")
        if registered.blog:
            screen.blog = self._blog(screen)
            if registered.permission and not screen.may(registered.permission):
                raise HTTPError(403, "You do not have permission to do this in %s." % screen.blog.name)

    def _log_in_first(self, screen, registered):
        """A screen asked for without a login (none yet, or a session that
        ended): the login page, which comes back to it after the login. A GET
        goes there by redirect (the login page shown here when the address
        would be too long for a web server). A POST is not done: the login
        page says so, and for a `resumable` form keeps what it typed to show
        it again."""
        request = screen.request
        if request.method in ("GET", "HEAD"):
            url = screen.url("login", return_to=screen.here)
            if len(url) <= LOGIN_REDIRECT_MAX:
                return web.redirect(url)
            return account.login_page(screen, return_to=screen.here)
        kept = self._kept(screen, registered)
        if kept:
            reason = SESSION_ENDED_KEPT
        elif kept is None:
            reason = SESSION_ENDED_TOO_LONG
        else:
            reason = SESSION_ENDED
        target = screen.here if "GET" in registered.methods else self._referrer(request)
        return account.login_page(screen, status=403, return_to=target, kept=kept or (), reason=reason)

    @staticmethod
    def _kept(screen, registered):
        """What a refused POST typed, to show again: [] for a form that is not
        `resumable` or that another site's page sent; None when it is too long."""
        request = screen.request
        if not registered.resumable or not sent_from_this_site(request):
            return []
        return kept_fields(form_pairs(request.form))

    def _referrer(self, request):
        """The page of this script a form was posted from (the Referer, which
        the screens' referrer policy sends only to this site), or None."""
        referer, host = request.environ.get("HTTP_REFERER", ""), request.host_url
        if not referer.startswith(host + "/"):
            return None
        return self.safe_redirect_target(request, referer[len(host):], None)

    def resume(self, screen, target, kept, warning, status=200):
        """The screen at `target` (a GET address of this script) with its form
        filled in with `kept` (what a POST not done had typed) and `warning`
        above it; a redirect to `target` where that screen is not `resumable`
        or this author may not use it."""
        query = urlencode(parse_urlencoded((target or "").partition("?")[2].encode("utf-8")))
        shown = Screen(self, self.request_for(dict(screen.request.environ, REQUEST_METHOD="GET", QUERY_STRING=query,
                                                   CONTENT_LENGTH="", CONTENT_TYPE="")))
        shown.store, shown.session, shown.author = screen.store, screen.session, screen.author
        registered = MODES.get(shown.param("__mode") or self.default_mode)
        if registered is None or not registered.resumable or not target:
            return web.redirect(target or screen.url(self.default_mode))
        shown.resumed, shown.warning = MultiDict(kept), warning
        try:
            self._authorize(shown, registered)
            response = registered.function(shown)
        except HTTPError:       # said by the screen itself, after the login (whose cookie this answer carries)
            return web.redirect(target)
        if response.status_code == 200:
            response.status = web.status_line(status)
        return response

    def _after(self, screen, response):
        """The work the mode's actions queued runs after the answer, in a
        process of its own with its own store (mtpy.hosting.run_cgi)."""
        if screen.jobs:
            job_ids = list(screen.jobs)
            response.before_fork.append(screen.store.close)
            response.after.append(lambda: self._run_jobs(job_ids))
        return work.run_due_work_after(response, self.config)   # retries, without cron (the store is closed by then)

    def _blog(self, screen):
        """The weblog of `blog_id`, when this author may see it at all: one
        that is not theirs is not found, as if it did not exist."""
        from mtpy.models import Blog
        blog_id = screen.int_param("blog_id")
        blog = screen.store.get(Blog, blog_id) if blog_id is not None else None
        if blog is None or blog.id not in [weblog.id for weblog in screen.weblogs()]:
            raise HTTPError(404, "No such weblog.")
        return blog

    def _run_jobs(self, job_ids):
        from mtpy.store import open_store
        from mtpy.work import run_jobs
        store = open_store(self.config)
        try:
            run_jobs(store, self.config, job_ids)
        finally:
            store.close()

    def error_page(self, request, status, message):
        screen = Screen(self, request)
        try:
            return screen.render("error.html", status=status, message=message)
        except Exception:
            web.log_error(self.config.get("LogFile"), "mt.cgi cannot show its error page")
            return Application.error_page(self, request, status, message)


MISCONFIGURED = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mtpy is not configured</title>"
                 + web.ICON_LINK + "</head><body><h1>mtpy is not configured</h1>"
                 "<p>mt.cgi cannot read its configuration file (mt.cfg beside the scripts). Open mt-check.cgi for details; the web server's error log "
                 "has the reason.</p></body></html>\n")
