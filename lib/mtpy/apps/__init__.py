"""mtpy's WSGI applications, one a script (mt.cgi's in `cms`), and what the
three receiving ones share (mt-tb.cgi, mt-pingback.cgi, mt-webmention.cgi):
the store kept per process and thread, the answer to a failure or to a store
being upgraded in the protocol's own terms, and the jobs a notification queued
run after the answer (the sender never waits for a source to be fetched, a
page republished or mail sent).

Nothing here imports jinja2 or requests: every module of a CGI ping's path
costs it start-up time (tests/test_config.py guards the import set), which is
also why this lives in the package a ping loads anyway rather than in a
module of its own (tests/test_ping_cost.py counts them). mt-check.cgi loads
this package too, and must start on any Python to say what the host lacks:
the store and the work queue are imported by the methods that use them.
"""

from mtpy import web

# While the store is older (or newer) than this code: nothing is stored, and the
# sender is asked to come back, in the protocol's terms.
BEING_UPGRADED = "This weblog is being upgraded; please try again later."


class ReceivingApp:
    """WSGI application of a receiving script. `config` is an mtpy.config.Config;
    the store is opened once per process and thread (a CGI process serves one
    request; a WSGI worker many). A subclass names its script (`script`, for the
    log) and what it is (`title`, for visitors), and gives handle(environ) and
    refusal(message, status): its protocol's error answer."""

    script = title = None
    log_config_warnings = True      # mtpy.hosting.build logs mt.cfg's unknown directives

    @classmethod
    def misconfigured(cls, error):
        """The answer while mt.cfg cannot be read, in the protocol's terms;
        details go to the web server's error log."""
        web.log_error(None, "%s cannot start: %s" % (cls.script, error))
        return cls.refusal("%s is misconfigured; the site's error log has details." % cls.title,
                           web.STATUS_TEXT[500])

    def __init__(self, config):
        self.config = config
        self.stores = {}     # (process, thread) -> its store

    def __call__(self, environ, start_response):
        try:
            response = self.handle(environ)
        except Exception as error:
            response = self.failure(environ, error)
        try:
            from mtpy import work
            work.run_due_work_after(response, self.config, self.close_store)     # retries, without cron
        except Exception:
            web.log_error(self.config.get("LogFile"), "%s could not look for due work" % self.script)
        return response(environ, start_response)

    def failure(self, environ, error):
        """The answer to what handle() raised: a store waiting for its upgrade is
        said in the protocol's terms, anything else is logged and answered as an
        internal error (never with a traceback). The store's module is imported
        here, inside the guard, so that even a broken install answers."""
        try:
            from mtpy.store import SchemaError
            if isinstance(error, SchemaError):
                self.log_schema(error)
                return self.being_upgraded()
        except Exception:
            pass
        web.log_error(self.config.get("LogFile"), "%s failed on %s %s?%s" % (
            self.script, environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"), environ.get("QUERY_STRING")))
        return self.refusal("Internal error: the ping was not stored. The site's log has details.",
                            web.STATUS_TEXT[500])

    def being_upgraded(self):
        """The answer while the store waits for its upgrade: TrackBack's and
        Pingback's senders show the error document of a 200 (as for every refusal)."""
        return self.refusal(BEING_UPGRADED, "200 OK")

    def store(self):
        """The store, opened once per process and thread and kept: a CGI process
        leaves with its answer (mtpy.hosting.run_cgi), and a persistent worker serves many
        requests. Closing SQLite's last connection would checkpoint the WAL, with
        fsyncs, on every ping."""
        import os
        from _thread import get_ident   # not threading: a CGI ping pays for imports
        key = (os.getpid(), get_ident())
        if key not in self.stores:
            from mtpy.store import open_store
            self.stores[key] = open_store(self.config)
        return self.stores[key]

    def log_schema(self, error):
        """A store newer than this code is the owner's mistake to hear about; an
        older one waits for its upgrade, which mt.cgi shows."""
        from mtpy.store import NewerSchema
        if isinstance(error, NewerSchema):
            web.log_error(self.config.get("LogFile"), "%s: %s" % (self.script, error))

    def close_store(self):
        """Close this process's stores: mtpy.hosting.run_cgi calls it before forking the
        deferred work, so that no connection or lock is shared with the child."""
        while self.stores:
            self.stores.popitem()[1].close()

    def receive_mention(self, protocol, source, target, remote_ip):
        """A Pingback's or Webmention's way in: the page of ours it names
        (find_target), then the receive action every protocol shares. Returns
        receive()'s (ping, job ids); raises what they raise (PingRejected...)."""
        from mtpy.actions.receive import Incoming, find_target, receive
        store = self.store()
        item_id = find_target(store, target)
        return receive(store, self.config, Incoming(str(item_id), source, remote_ip=remote_ip, protocol=protocol,
                                                    target_url=target))

    def run_after(self, response, job_ids):
        """Have the jobs a notification queued run once `response` is sent (in
        a forked child under CGI: mtpy.hosting.run_cgi), with a store of their own."""
        if job_ids:
            response.before_fork.append(self.close_store)
            response.after.append(lambda: self.run_jobs(job_ids))
        return response

    def run_jobs(self, job_ids):
        from mtpy.work import run_jobs
        run_jobs(self.store(), self.config, job_ids)


def plain(text, status="200 OK", headers=()):
    """A short text/plain answer (never sniffed as HTML)."""
    return web.Response(text + "\n", "text/plain; charset=utf-8", status,
                        [("X-Content-Type-Options", "nosniff")] + list(headers))
