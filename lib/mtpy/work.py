"""The deferred-work queue's worker: jobs kept in the store until they succeed.

A ping's process runs the jobs it queued right after its response; `mtpy work`
(from cron) runs whatever is left: jobs of a process that died, and retries.
Without cron, any request that finds due work waiting and no runner at it
starts one after its answer (run_due_work_after): the check reads one number
from the data folder, so a request with nothing due pays next to nothing.
"""

import os
import time

from mtpy.actions import is_published
from mtpy.models import Job, Ping
from mtpy import web

MAX_ATTEMPTS = 5
# In the data folder: when the next job is due (seconds since the epoch, as
# the last run read the queue), and the lock of the runner a request starts.
NEXT_DUE_FILE = "work-next-due"
RUNNER_LOCK_FILE = "work-runner.lock"
# The next-due time is written at most this far ahead: a job whose process
# died before running it (queued, or claimed for its lease) is found within it.
NEXT_DUE_HORIZON = 600
# Jobs whose failures an owner hears of in the activity log: mail and pings to
# other sites, which fail for reasons outside mtpy (a missing sendmail, a site down).
REPORTED_KINDS = {"notify_ping": "Notification mail", "send_pings": "Outbound ping"}
JOB_NAMES = {"republish_pings": "Republishing after a ping", "rebuild_weblog": "Rebuilding a weblog",
             "republish_entry": "Republishing an entry", "update_pings": "Update pings",
             "check_linkback": "Link-back check"}


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
    for a category's ping, and ping_id after a ping; queued by
    mtpy.actions.pings.pings_changed). After an owner's change (no ping_id) a
    weblog never built keeps its pages unwritten, as after any other change.

    One republish runs at a time, and each reads the newest pings: during a
    burst, a job finding the pages already showing the item's pings as they
    are is done without importing jinja2 or rendering anything (ShownPings).

    A flood costs a few republishes a second, not one per ping: the ping's
    process waits `RepublishDelay` seconds before it claims the job (run_jobs;
    the answer has gone already), and the pings stored meanwhile queue no job
    of their own (actions.pings.republish_waiting): the republish reads the pings after the
    claim, so it shows them all."""
    from mtpy.actions.pings import republish_waiting
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
        found = store.list_pings(tb_id=item.id, newest_first=True, limit=1)
        state = (found[0].id if found else 0, store.count_pings(item.id))
        # A ping's job has nothing to do when the pages show what the item
        # holds now, or when a later job for the same pages waits unclaimed (it
        # will read every ping, this one's included). An owner's change (no
        # ping_id) always republishes.
        if payload.get("ping_id") is not None and (
                shown.covers(item.id, state) or republish_waiting(store, _subject_of(payload))):
            return
        from mtpy.publish.listing import render_ahead
        if isinstance(subject, Entry):
            from mtpy.publish.rebuild import Publisher
            publisher = Publisher(store, config, blog)
            if payload.get("ping_id") is not None or is_published(blog):
                publisher.rebuild_pings_of(subject.id)
            # the same load of the weblog: its counts are read once
            render_ahead(store, config, entry_id=subject.id, site=publisher.site)
        else:
            render_ahead(store, config, category_id=subject.id)
        shown.record(item.id, state)


def _subject_of(payload):
    """The entry or category of a republish_pings payload, as republish_waiting takes it."""
    key = "category_id" if "category_id" in payload else "entry_id"
    return {key: payload[key]}


def _wait_before_republishing(store, config, job_id):
    """Before the ping's process claims its republish job: RepublishDelay (an
    owner's change, whose job carries no ping, does not wait)."""
    delay = config.get("RepublishDelay")
    if delay:
        job = store.get(Job, job_id)
        if (job is not None and job.kind == "republish_pings" and job.attempts == 0
                and job.payload.get("ping_id") is not None):
            import time
            time.sleep(delay)


class ShownPings:
    """For each TrackBack item, what its last republish showed: the newest
    visible ping's id and how many were visible (in the data folder, so per
    host: a host that does not know republishes anyway)."""

    def __init__(self, config, blog):
        from mtpy.fileutil import read_kept
        self.path = config.cache_path("shown-pings-blog-%d.bin" % blog.id)
        kept = read_kept(self.path)
        self.shown = kept if isinstance(kept, dict) else {}

    def covers(self, item_id, state):
        """Whether the pages already show the item's pings as they are now:
        `state` (newest id, count) as the last republish read it. Either
        differs after any ping stored, published late (a link-back check, an
        approval) or removed since."""
        return self.shown.get(item_id) == state

    def record(self, item_id, state):
        from mtpy.fileutil import keep
        self.shown[item_id] = state
        keep(self.path, self.shown)    # unkept, the next job republishes again


def rebuild_weblog(store, config, payload):
    """After a change that moves entries between pages or changes what every
    page shows (a new or deleted entry, a status, date, title or category, the
    weblog's settings): every page (payload: blog_id). A weblog is built the
    first time (payload "first") only when the owner asked for it: mt.cgi's
    new weblogs are."""
    from mtpy.models import Blog
    blog = store.get(Blog, payload["blog_id"])
    if blog is None or not (is_published(blog) or (payload.get("first") and blog.site_path)):
        return
    from mtpy.publish.rebuild import Publisher
    with store.rebuild_lock():
        Publisher(store, config, blog).rebuild_all()


def republish_entry(store, config, payload):
    """After an edit that leaves the entry where it was: the pages that list
    it (payload: entry_id)."""
    from mtpy.models import Blog, Entry
    entry = store.get(Entry, payload["entry_id"])
    blog = store.get(Blog, entry.blog_id) if entry is not None else None
    if blog is None or not is_published(blog):
        return
    from mtpy.publish.rebuild import Publisher
    with store.rebuild_lock():
        Publisher(store, config, blog).rebuild_entry(entry.id)


def send_pings(store, config, payload):
    """Ping the URLs of a published entry (payload: entry_id, and `discover`
    to look for ping URLs in its links first; see mtpy.actions.sending). Failed
    URLs make the job fail: its retry pings them."""
    from mtpy.actions.sending import send_pings as send
    send(store, config, payload)


def update_pings(store, config, payload):
    """Tell the weblog's update services of a published entry (payload:
    blog_id; see mtpy.actions.updates). A failed service is logged, not retried."""
    from mtpy.actions.updates import send_update_pings
    send_update_pings(store, config, payload)


def check_linkback(store, config, payload):
    """Fetch a new ping's source page and check that it links to what it pinged
    (payload: ping_id; see mtpy.actions.linkback): the ping is then published,
    kept for approval or junked. Returns the jobs publishing it queued."""
    from mtpy.actions.linkback import check_linkback as check
    return check(store, config, payload)


HANDLERS = {"notify_ping": notify_ping, "republish_pings": republish_pings,
            "rebuild_weblog": rebuild_weblog, "republish_entry": republish_entry,
            "send_pings": send_pings, "update_pings": update_pings, "check_linkback": check_linkback}


def run_job(store, config, job, queued=None):
    """Run one claimed job; True when done (and removed from the queue). The
    ids of jobs it queued in turn, when its handler returns them, are added to
    `queued`."""
    handler = HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError("unknown job kind %r" % job.kind)
        follow_up = handler(store, config, job.payload)
        if queued is not None and follow_up:
            queued.extend(follow_up)
    except Exception as error:
        message = "Job %d (%s) failed, attempt %d: %s" % (job.id, job.kind, job.attempts, error)
        _report_failure(store, config, job, error)
        # Back off 1, 4, 16, 64 minutes; after the last attempt keep the job (with
        # its error) for `mtpy work --list` instead of retrying forever. Logged
        # once the retry is kept: the log line means the worker is done with it.
        delay = 60 * 4 ** (job.attempts - 1) if job.attempts < MAX_ATTEMPTS else 10 ** 9
        try:
            store.retry_job(job, str(error), delay)
        finally:
            web.log_error(config.get("LogFile"), message)
        return False
    store.delete(Job, job.id)
    return True


def _report_failure(store, config, job, error):
    """A failed mail or outbound ping, in the activity log: on its first
    failure and when it is given up, not at every retry between."""
    what = REPORTED_KINDS.get(job.kind)
    if what is None or job.attempts not in (1, MAX_ATTEMPTS):
        return
    from mtpy.actions.activity import record
    outcome = "will be retried" if job.attempts < MAX_ATTEMPTS else "given up after %d attempts" % job.attempts
    try:
        record(store, "work_failed", "%s failed (%s): %s" % (what, outcome, error))
    except Exception:
        web.log_error(config.get("LogFile"), "Could not record a failed job in the activity log")


def run_jobs(store, config, job_ids=None, limit=None, until=None):
    """Run the given jobs and those they queue in turn (or every due job, and
    then note when the next is due); no job is begun after the time.monotonic()
    `until`. Returns (done, failed)."""
    done = failed = 0
    pending = list(job_ids) if job_ids is not None else None
    while (limit is None or done + failed < limit) and (until is None or time.monotonic() < until):
        if pending is not None:
            if not pending:
                break
            job_id = pending.pop(0)
            _wait_before_republishing(store, config, job_id)    # right after a ping only
            job = store.claim_job(job_id=job_id)
            if job is None:
                continue
        else:
            job = store.claim_job()
            if job is None:
                break
        if run_job(store, config, job, pending):
            done += 1
        else:
            failed += 1
    if job_ids is None or failed:   # a retry may now be due before the time noted
        note_next_due(store, config)
    return done, failed


# -- due work without cron ------------------------------------------------------

def next_due_path(config):
    return os.path.join(config.get("DataSource"), NEXT_DUE_FILE)


def note_next_due(store, config):
    """Write when the queue's next job is due (NEXT_DUE_HORIZON ahead at most),
    for work_waiting to compare with the clock."""
    from mtpy import fileutil
    first = store.find(Job, order_by="not_before", limit=1)
    due = time.time() + NEXT_DUE_HORIZON
    if first:
        import calendar
        from mtpy.dates import STORED_FORMAT
        due = min(due, calendar.timegm(time.strptime(first[0].not_before, STORED_FORMAT)))
    fileutil.write_atomic(next_due_path(config), "%d\n" % due, kind=fileutil.DATA, durable=False)


def work_waiting(config):
    """Whether due work may wait with no runner at it: the noted next-due time
    has come (or was never noted) and the runner's lock is free. Reads one
    small file, and tries the lock only then; the store stays closed."""
    if not config.get("DueWorkSeconds"):
        return False
    try:
        with open(next_due_path(config), "rb") as handle:
            if time.time() < float(handle.read(32)):
                return False
    except (OSError, ValueError):    # never noted: look once (when there is a store to look in)
        if not os.path.isdir(config.get("DataSource")):
            return False
    try:
        lock = _runner_lock(config)
    except OSError:     # a data folder this user cannot write: cron's to do
        return False
    if lock is None:
        return False
    lock.close()
    return True


def _runner_lock(config):
    """The runner's lock (an open file holding a flock, freed when it closes or
    its process ends, so a runner that dies leaves no stale lock), or None
    while another runner holds it."""
    import fcntl
    from mtpy import fileutil
    path = os.path.join(config.get("DataSource"), RUNNER_LOCK_FILE)
    fileutil.create_file(path)
    handle = open(path, "a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def run_due_work(config, retry_failed=False):
    """Run due jobs for DueWorkSeconds at most (a job begun then runs to its
    end), unless another runner is at work; returns (done, failed), or None
    when it left the work to that runner. `retry_failed` (mt.cgi's "Run now")
    makes every failed job due first, given up or not: under the runner's lock,
    as no other process claims a failed job but `mtpy work`."""
    lock = _runner_lock(config)
    if lock is None:
        return None
    try:
        from mtpy.store import open_store
        try:
            store = open_store(config)
        except Exception:   # no store yet, or one to upgrade: look again later
            from mtpy import fileutil
            fileutil.write_atomic(next_due_path(config), "%d\n" % (time.time() + NEXT_DUE_HORIZON),
                                  kind=fileutil.DATA, durable=False)
            return None
        try:
            if retry_failed:
                from mtpy.dates import utc_now
                for job in store.find(Job):
                    if job.last_error:
                        job.not_before = utc_now()
                        store.update(job)
            # "Run now" works also where DueWorkSeconds 0 leaves the rest to cron: as long as the default
            from mtpy.config import DIRECTIVES
            seconds = config.get("DueWorkSeconds") or DIRECTIVES["DueWorkSeconds"][1]
            return run_jobs(store, config, until=time.monotonic() + seconds)
        finally:
            store.close()
    finally:
        lock.close()


def waiting_work(store):
    """What mt.cgi's dashboard shows of the queue: (how many jobs wait, the
    failed ones, oldest first, each with what it is and whether it was given up)."""
    jobs = store.find(Job)
    failed = [{"job": job, "what": REPORTED_KINDS.get(job.kind, JOB_NAMES.get(job.kind, job.kind)),
               "given_up": job.attempts >= MAX_ATTEMPTS} for job in jobs if job.last_error]
    return len(jobs), failed


def run_due_work_after(response, config, release=None):
    """Have `response` run due work after its answer, when some waits and no
    runner is at it (mtpy.hosting.run_cgi forks it off: the visitor never waits).
    `release` lets go of the request's store before the fork."""
    if work_waiting(config):
        if release is not None and release not in response.before_fork:
            response.before_fork.append(release)
        response.after.append(lambda: _run_logged(config))
    return response


def _run_logged(config):
    try:
        run_due_work(config)
    except Exception:
        web.log_error(config.get("LogFile"), "Running due work failed")
