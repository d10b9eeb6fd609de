"""Sending TrackBack pings for a published entry.

An entry pings its "URLs to Ping" and the outbound URLs of its categories,
except those already pinged for it. The pings are deferred work (`send_pings`
jobs, queued by mtpy.actions.entries.save_entry and by `retry_pings`): several
at once, each bounded by PingTimeout, the whole job by a deadline. Each URL's
outcome is kept on the entry: a success moves it to `pinged_urls`; a failure
keeps it to ping, with why and when in `ping_failures`, and is retried with the
job's backoff until it has failed MAX_ATTEMPTS times; then only the owner's
retry (`retry_pings`) sends it again. A job first claims the URLs it sends
(`sending_since`, in one transaction), so that two jobs of one entry (a second
save, `mtpy work` beside mt.cgi) never ping a URL twice.
"""

from mtpy import dates
from mtpy.actions import ActionError, Done
from mtpy.models import Blog, Category, Entry

MAX_ATTEMPTS = 5
WORKERS = 4
JOB_DEADLINE_SECONDS = 120      # well within the job's lease (work.py claims for 300 s)
# A claim outlives the job's deadline, and has expired by the time its job's
# lease has (a job that died is run again then, and sends the URLs again).
CLAIM_SECONDS = 240
OUT_OF_TIME = "not sent: the pings ran out of time"


class PingsFailed(Exception):
    """Some pings failed and will be tried again: the job's retry (with backoff)."""


def wanted_urls(store, entry):
    """Every URL the entry is to ping, in order, once: its own, then its
    categories' outbound URLs."""
    urls = list(entry.to_ping_urls)
    for category_id in entry.category_ids:
        category = store.get(Category, category_id)
        if category is not None:
            urls.extend(category.ping_urls)
    seen = set()
    return [url for url in urls if not (url in seen or seen.add(url))]


def urls_to_ping(store, entry, again=False):
    """The URLs a send_pings job of this entry pings now: those wanted and not
    yet pinged, without the ones that failed MAX_ATTEMPTS times (unless `again`:
    the owner asked). A draft pings nothing."""
    if entry.status != "Publish":
        return []
    pinged = set(entry.pinged_urls)
    return [url for url in wanted_urls(store, entry)
            if url not in pinged and not being_sent(entry, url)
            and (again or _attempts(entry, url) < MAX_ATTEMPTS)]


def being_sent(entry, url):
    """Whether a job has claimed the URL and not yet recorded its outcome."""
    claimed = (entry.ping_failures.get(url) or {}).get("sending_since", "")
    return bool(claimed) and claimed > dates.utc_now(-CLAIM_SECONDS)


def tidy_outbound(store, entry):
    """Before an entry is saved: a URL pinged already is no longer one to ping
    (a form opened before the ping came back sends it again), and the failures
    of URLs the entry no longer pings (removed by its owner) are forgotten."""
    pinged = set(entry.pinged_urls)
    entry.to_ping_urls = [url for url in entry.to_ping_urls if url not in pinged]
    wanted = set(wanted_urls(store, entry))
    entry.ping_failures = {url: failure for url, failure in entry.ping_failures.items() if url in wanted}


def queue_pings(store, entry, again=False, discover=False):
    """Queue a send_pings job when the entry has URLs to ping, or links to
    look for ping URLs in (`discover`); its id, or None."""
    if not (urls_to_ping(store, entry, again) or (discover and entry.status == "Publish")):
        return None
    payload = {"entry_id": entry.id}
    if again:
        payload["again"] = 1
    if discover:
        payload["discover"] = 1
    return store.enqueue("send_pings", payload).id


def retry_pings(store, config, blog, entry):
    """The owner's "Retry now": ping the entry's failed and unsent URLs again,
    even those that failed MAX_ATTEMPTS times. Done(entry, [], jobs)."""
    if entry.blog_id != blog.id:
        raise ActionError("Entry %s is not in weblog %d" % (entry.id, blog.id))
    if entry.status != "Publish":
        raise ActionError("A draft sends no pings: publish it first", "status")
    with store.transaction():
        job_id = queue_pings(store, entry, again=True)
    if job_id is None:
        if any(being_sent(entry, url) for url in wanted_urls(store, entry)):
            raise ActionError("The pings of this entry are being sent now: look again in a minute")
        raise ActionError("Every URL of this entry has been pinged already")
    return Done(entry, [], [job_id])


def ping_fields(blog, entry):
    """The form of the TrackBack request: title, url, excerpt, blog_name."""
    from mtpy.store import entry_excerpt
    from mtpy.urls import entry_permalink
    from mtpy.trackback.rules import crop_excerpt
    return [("title", entry.title), ("url", entry_permalink(blog, entry)),
            ("excerpt", crop_excerpt(entry_excerpt(entry))), ("blog_name", blog.name)]


def send_pings(store, config, payload, deadline_seconds=JOB_DEADLINE_SECONDS):
    """The send_pings job (payload: entry_id, `again` for the owner's retry,
    `discover` to add the ping URLs its links announce first): ping every URL
    due, record each outcome on the entry, and raise
    PingsFailed when some failed and may be tried again."""
    entry = store.get(Entry, payload["entry_id"])
    blog = store.get(Blog, entry.blog_id) if entry is not None else None
    if blog is None:
        return      # deleted since: nothing to announce
    if payload.pop("discover", None):
        # Popped: the job's retry (saved with this payload) does not fetch the pages again.
        from mtpy.actions.discovery import add_discovered
        add_discovered(store, config, blog, entry.id, deadline_seconds=deadline_seconds / 2)
        deadline_seconds /= 2
    outcomes, retry = _send_and_record(store, config, blog, entry, bool(payload.get("again")),
                                       deadline_seconds)
    if retry:
        raise PingsFailed("%d ping(s) of entry %d failed, retried later: %s" % (
            len(retry), entry.id, "; ".join("%s: %s" % (url, outcomes[url]) for url in retry)))


def send_now(store, config, blog, entry, deadline_seconds=JOB_DEADLINE_SECONDS):
    """Ping the entry's URLs not yet pinged, given-up ones included, and wait
    (`mtpy entry ping`): {url: None when pinged, else why not}."""
    if entry.blog_id != blog.id:
        raise ActionError("Entry %s is not in weblog %d" % (entry.id, blog.id))
    if entry.status != "Publish":
        raise ActionError("A draft sends no pings: publish it first", "status")
    return _send_and_record(store, config, blog, entry, True, deadline_seconds)[0]


def _send_and_record(store, config, blog, entry, again, deadline_seconds):
    """Ping what is due; (outcomes, the failed URLs to try again)."""
    entry, urls = claim_urls(store, entry.id, again)
    if not urls:
        return {}, []
    outcomes = send_all(config, urls, trackback_ping(config, ping_fields(blog, entry), blog.site_url),
                        deadline_seconds)
    return outcomes, record_outcomes(store, entry.id, outcomes)


def claim_urls(store, entry_id, again):
    """The entry as stored and the URLs due now, each marked as being sent by
    this job; other jobs skip them until their outcome is recorded."""
    with store.transaction():
        entry = store.get(Entry, entry_id)
        urls = urls_to_ping(store, entry, again) if entry is not None else []
        if urls:
            now = dates.utc_now()
            failures = dict(entry.ping_failures)
            for url in urls:
                failures[url] = dict(failures.get(url) or {}, sending_since=now)
            entry.ping_failures = failures
            store.save(entry)
    return entry, urls


def send_all(config, urls, send_one, deadline_seconds):
    """`send_one(url, timeout, deadline)` for each URL, WORKERS at a time:
    {url: None when it went through, else why not}. A URL not started by the
    deadline is not sent; an unexpected error is logged and kept to its URL."""
    import time
    from concurrent.futures import ThreadPoolExecutor
    deadline = time.monotonic() + deadline_seconds
    timeout = float(config.get("PingTimeout"))

    def send(url):
        now = time.monotonic()
        if now >= deadline:
            return OUT_OF_TIME
        try:
            return send_one(url, timeout, min(deadline, now + timeout))
        except Exception as error:      # never let one URL take the others' outcomes down
            from mtpy import web
            web.log_error(config.get("LogFile"), "Sending to %s failed: %r" % (url, error))
            return "not sent: an error in mtpy (see its log)"

    with ThreadPoolExecutor(max_workers=min(WORKERS, len(urls))) as pool:
        return dict(zip(urls, pool.map(send, urls)))


def trackback_ping(config, fields, site_url):
    """A send_one for send_all: POST the TrackBack request; None when the
    receiver accepted the ping, else why not, in words."""
    from mtpy import outbound
    from mtpy.trackback.replies import read_reply

    def ping(url, timeout, deadline):
        try:
            response = outbound.post_form(config, url, fields, timeout=timeout, deadline=deadline,
                                          site_url=site_url)
        except outbound.OutboundError as error:
            return error.reason
        ok, message = read_reply(response.body, response.status,
                                  response.headers.get("Content-Type") or "", response.reason)
        return None if ok else (message or "the receiver refused the ping")
    return ping


def record_outcomes(store, entry_id, outcomes):
    """Keep each outcome on the entry as it is now (its owner may have saved it
    meanwhile); returns the failed URLs that will be tried again."""
    with store.transaction():
        entry = store.get(Entry, entry_id)
        if entry is None:
            return []
        now = dates.utc_now()
        failures = dict(entry.ping_failures)
        for url, error in outcomes.items():
            if error is None:
                failures.pop(url, None)
                if url not in entry.pinged_urls:
                    entry.pinged_urls = entry.pinged_urls + [url]
                entry.to_ping_urls = [kept for kept in entry.to_ping_urls if kept != url]
            else:
                failures[url] = {"error": error, "when": now, "attempts": _attempts(entry, url) + 1}
        entry.ping_failures = failures
        store.save(entry)
    return [url for url, error in outcomes.items()
            if error is not None and failures[url]["attempts"] < MAX_ATTEMPTS]


def _attempts(entry, url):
    return (entry.ping_failures.get(url) or {}).get("attempts", 0)
