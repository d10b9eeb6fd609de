"""The deferred-work queue's worker: jobs kept in the store until they succeed.

A ping's process runs the jobs it queued right after its response; `mtpy work`
(from cron) runs whatever is left: jobs of a process that died, and retries.
"""

from mtpy.models import Job, Ping
from mtpy import web

MAX_ATTEMPTS = 5


def notify_ping(store, config, payload):
    from mtpy import mail
    ping = store.get(Ping, payload["ping_id"])
    if ping is None:
        return  # deleted before the mail went out: nothing to say
    message = mail.ping_notification(store, config, ping)
    if message is not None:
        mail.send(config, message)


def republish_pings(store, config, payload):
    """After a ping: republish the pages that show the entry's pings or TrackBack
    count, and render its listing popup ahead (payload: entry_id, or category_id
    for a category's ping, and ping_id).

    One republish runs at a time, and each reads the newest pings: during a
    burst, a job whose ping an earlier republish has already shown is done
    without importing jinja2 or rendering anything (ShownPings)."""
    from mtpy.models import Blog, Category, Entry, Trackback
    if "category_id" in payload:
        subject = store.get(Category, payload["category_id"])
        items = store.find(Trackback, category_id=subject.id) if subject is not None else []
    else:
        subject = store.get(Entry, payload["entry_id"])
        items = store.find(Trackback, entry_id=subject.id) if subject is not None else []
    blog = store.get(Blog, subject.blog_id) if subject is not None else None
    if blog is None or not blog.site_path or not items:
        return
    item = items[0]
    with store.rebuild_lock():
        shown = ShownPings(config, blog)
        if shown.covers(item.id, payload.get("ping_id")):
            return
        # Ping ids are committed in order: a republish that reads this largest
        # one shows every ping up to it.
        newest = store.pings_fingerprint(item.id)[2]
        from mtpy.publish.listing import render_ahead
        if isinstance(subject, Entry):
            from mtpy.publish.rebuild import Publisher
            Publisher(store, config, blog).rebuild_pings_of(subject.id)
            render_ahead(store, config, entry_id=subject.id)
        else:
            render_ahead(store, config, category_id=subject.id)
        shown.record(item.id, newest)


class ShownPings:
    """For each TrackBack item, the newest ping id its last republish showed (in
    the data folder, so per host: a host that does not know republishes anyway)."""

    def __init__(self, config, blog):
        from mtpy.fileutil import read_kept
        self.path = config.cache_path("shown-pings-blog-%d.bin" % blog.id)
        kept = read_kept(self.path)
        self.newest = kept if isinstance(kept, dict) else {}

    def covers(self, item_id, ping_id):
        return ping_id is not None and self.newest.get(item_id, 0) >= ping_id

    def record(self, item_id, newest):
        from mtpy.fileutil import keep
        self.newest[item_id] = newest
        keep(self.path, self.newest)    # unkept, the next job republishes again


HANDLERS = {"notify_ping": notify_ping, "republish_pings": republish_pings}


def run_job(store, config, job):
    """Run one claimed job; True when done (and removed from the queue)."""
    handler = HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError("unknown job kind %r" % job.kind)
        handler(store, config, job.payload)
    except Exception as error:
        web.log_error(config.get("LogFile"), "Job %d (%s) failed, attempt %d: %s" % (
            job.id, job.kind, job.attempts, error))
        # Back off 1, 4, 16, 64 minutes; after the last attempt keep the job (with
        # its error) for `mtpy work --list` instead of retrying forever.
        delay = 60 * 4 ** (job.attempts - 1) if job.attempts < MAX_ATTEMPTS else 10 ** 9
        store.retry_job(job, str(error), delay)
        return False
    store.delete(Job, job.id)
    return True


def run_jobs(store, config, job_ids=None, limit=None):
    """Run the given jobs (or every due job); returns (done, failed)."""
    done = failed = 0
    pending = list(job_ids) if job_ids is not None else None
    while limit is None or done + failed < limit:
        if pending is not None:
            if not pending:
                break
            job = store.claim_job(job_id=pending.pop(0))
            if job is None:
                continue
        else:
            job = store.claim_job()
            if job is None:
                break
        if run_job(store, config, job):
            done += 1
        else:
            failed += 1
    return done, failed
