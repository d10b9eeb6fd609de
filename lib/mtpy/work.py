"""The deferred-work queue's worker: jobs kept in the store until they succeed.

A ping's process runs the jobs it queued right after its response; `mtpy work`
(from cron) runs whatever is left: jobs of a process that died, and retries.
Without cron, any request that finds due work waiting and no runner at it
starts one after its answer (run_due_work_after): the check reads one number
from the data folder, so a request with nothing due pays next to nothing.
"""

import os
import time

from mtpy.models import Job
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
REPORTED_KINDS = {"notify_ping": "Notification mail", "send_pings": "Outbound ping",
                  "tell_deleted": "Webmention of a deleted entry"}
JOB_NAMES = {"republish_pings": "Republishing after a ping", "rebuild_weblog": "Rebuilding a weblog",
             "republish_entry": "Republishing an entry", "update_pings": "Update pings",
             "check_linkback": "Link-back check"}


# Each kind of job and the function that does it ("module:function", imported
# when a job of the kind runs: the ping path queues jobs without loading them).
HANDLERS = {
    "notify_ping": "mtpy.mail:notify_ping",
    "republish_pings": "mtpy.publish.republish:republish_pings",
    "rebuild_weblog": "mtpy.publish.republish:rebuild_weblog",
    "republish_entry": "mtpy.publish.republish:republish_entry",
    "send_pings": "mtpy.actions.sending:send_pings",
    "update_pings": "mtpy.actions.updates:send_update_pings",
    "tell_deleted": "mtpy.actions.sending:send_deletions",
    "check_linkback": "mtpy.actions.linkback:check_linkback",
}


def handler(kind):
    """The function that runs a job of this kind: (store, config, payload).
    One that queues jobs in turn returns their ids as a list (what any other
    returns, such as update pings' outcomes, is not for the queue)."""
    where = HANDLERS.get(kind)
    if where is None:
        raise LookupError("unknown job kind %r" % kind)
    module, _, name = where.partition(":")
    return getattr(__import__(module, fromlist=[name]), name)


def run_job(store, config, job, queued=None):
    """Run one claimed job; True when done (and removed from the queue). The
    ids of jobs it queued in turn, when its handler returns them, are added to
    `queued`."""
    try:
        follow_up = handler(job.kind)(store, config, job.payload)
        if queued is not None and isinstance(follow_up, list):
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
    # Here, not at the top: the ping path imports this module, and runs jobs after its answer.
    from mtpy.publish.republish import wait_before_republishing
    done = failed = 0
    pending = list(job_ids) if job_ids is not None else None
    while (limit is None or done + failed < limit) and (until is None or time.monotonic() < until):
        if pending is not None:
            if not pending:
                break
            job_id = pending.pop(0)
            wait_before_republishing(store, config, job_id)    # right after a ping only
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
