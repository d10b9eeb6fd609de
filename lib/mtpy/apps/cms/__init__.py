"""mt.cgi: the weblog application in the browser (Movable Type's CMS).

Set-up on the first visit, then logging in, weblogs, entries, categories,
TrackBack pings, IP bans, templates, rebuilding, import and export, authors,
the activity log, backups, and the upgrade of a store an older mtpy made (every
other screen leads there until it is done). The rules live in mtpy.actions,
shared with the `mtpy` command; the modes here read a form, call one action and
show the result. Work an action queues (republishing) runs after the answer, as
after a ping.
"""

from mtpy import web, work
from mtpy.apps.cms.base import Application, HTTPError
from mtpy.apps.cms.screen import MODES, Screen

# Importing a module of modes registers them.
from mtpy.apps.cms import (account, activity, authors, backup, bans, bookmarklets, categories,  # noqa: F401
                           entries, pings, rebuild, system, templates, transfer, upgrade, weblogs)

NEWER_STORE = ("This weblog's data was made by a newer version of mtpy than the one installed here, which "
               "cannot use it. Install that version of mtpy (or a newer one) again; the site's log has the details.")
FORM_EXPIRED = ("This form has expired or did not come from this site, so nothing was changed. "
                "Go back, reload the page and try again.")


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
            return screen.redirect("login")
        if registered.admin and not screen.author.is_admin:
            raise HTTPError(403, "Only a system administrator may do this.")
        if registered.blog:
            screen.blog = self._blog(screen)
            if registered.permission and not screen.may(registered.permission):
                raise HTTPError(403, "You do not have permission to do this in %s." % screen.blog.name)
        if request.method == "POST" and registered.login:
            if not sessions.check_csrf(self.config, screen.session, request.form.get("magic_token")):
                raise HTTPError(403, FORM_EXPIRED)
        return registered.function(screen)

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
