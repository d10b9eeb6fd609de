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
    for a category's ping)."""
    from mtpy.models import Blog, Category, Entry
    from mtpy.publish.listing import render_ahead
    from mtpy.publish.rebuild import Publisher
    if "category_id" in payload:
        category = store.get(Category, payload["category_id"])
        if category is not None:
            render_ahead(store, config, category_id=category.id)
        return
    entry = store.get(Entry, payload["entry_id"])
    blog = store.get(Blog, entry.blog_id) if entry is not None else None
    if blog is None or not blog.site_path:
        return
    with store.rebuild_lock():
        Publisher(store, config, blog).rebuild_pings_of(entry.id)
    render_ahead(store, config, entry_id=entry.id)


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
