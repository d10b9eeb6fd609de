"""Telling the pages a published entry links to: TrackBack, Webmention, Pingback.

An entry pings its "URLs to Ping" and the outbound URLs of its categories by
TrackBack, except those already pinged for it. The pages its links point at
(when its weblog discovers links, mtpy.actions.discovery) are told once each,
by the protocol they speak: TrackBack where the page announces a ping URL
(added to the URLs to ping), otherwise Webmention where it announces an
endpoint, otherwise Pingback where it announces a server. A page waiting to be
told by Webmention or Pingback is kept in `ping_failures` under its own URL
with its `protocol` and `endpoint` (and no error until one happens); once
told, it moves to `notified_links`. An edit re-sends a Webmention to every
page told so before (a link since removed included); a deletion does too
(`tell_deleted` jobs, the targets in their payload).

The pings are deferred work (`send_pings` jobs, queued by
mtpy.actions.entries.save_entry and by `retry_pings`): several at once, each
bounded by PingTimeout, the whole job by a deadline. Each URL's outcome is kept
on the entry: a success moves it to `pinged_urls`; a failure keeps it to ping,
with why and when in `ping_failures`, and is retried with the job's backoff
until it has failed MAX_ATTEMPTS times; then only the owner's retry
(`retry_pings`) sends it again. A job first claims the URLs it sends
(`sending_since`, in one transaction), so that two jobs of one entry (a second
save, `mtpy work` beside mt.cgi) never ping a URL twice.

An answer that will not change by asking again is final (FinalFailure: a
Webmention endpoint's 4xx, a Pingback fault other than 48 and 50): the URL
waits for the owner's retry. A transport error, a 5xx and Pingback's fault 50
are tried again as TrackBack failures are.
"""

from mtpy import dates
from mtpy.actions import ActionError, Done
from mtpy.actions.discovery import being_sent
from mtpy.models import Blog, Category, Entry
from mtpy.text import counted

MAX_ATTEMPTS = 5
WORKERS = 4
JOB_DEADLINE_SECONDS = 120      # well within the job's lease (work.py claims for 300 s)
# A claim outlives the job's deadline, and has expired by the time its job's
# lease has (a job that died is run again then, and sends the URLs again).
OUT_OF_TIME = "not sent: the pings ran out of time"
MENTIONS = ("webmention", "pingback")        # the protocols that tell a page by its own URL
PINGBACK_METHOD = "pingback.ping"
# Pingback 1.0's fault codes a receiver answers with, in words; 48 (already
# registered) is a success, 50 (an upstream server failed) is tried again.
PINGBACK_FAULTS = {
    0: "the receiver refused it without saying why",
    16: "the receiver could not fetch this entry's page",
    17: "the receiver found no link to its page on this entry's page",
    32: "the receiver says the linked page does not exist",
    33: "the receiver does not take Pingbacks for the linked page",
    49: "the receiver refused access",
    50: "the receiver could not reach a server it depends on",
    # Not Pingback's: WordPress's "You are posting comments too quickly" (one
    # comment, pingback or trackback from an address each 15 s).
    429: "the receiver asks to wait before the next one",
}
ALREADY_REGISTERED = 48
TRIED_AGAIN = (50, 429)


class FinalFailure(str):
    """Why a notification failed, when asking again would get the same
    answer: not retried until the owner asks."""


class PingsFailed(Exception):
    """Some pings failed and will be tried again: the job's retry (with backoff)."""


def wanted_urls(store, entry):
    """Every URL the entry is to ping, in order, once: its own, then its
    categories' outbound URLs."""
    return list(dict.fromkeys(list(entry.to_ping_urls) + list(categories_pinging(store, entry))))


def categories_pinging(store, entry):
    """{outbound URL: label of the entry's first category that lists it}: the
    URLs the entry pings because of its categories, in order."""
    found = {}
    for category_id in entry.category_ids:
        category = store.get(Category, category_id)
        if category is not None:
            for url in category.ping_urls:
                found.setdefault(url, category.label)
    return found


def urls_to_ping(store, entry, again=False):
    """The URLs a send_pings job of this entry pings now: those wanted and not
    yet pinged, without the ones that failed MAX_ATTEMPTS times (unless `again`:
    the owner asked). A draft pings nothing."""
    if entry.status != "Publish":
        return []
    pinged = set(entry.pinged_urls)
    trackback = [url for url in wanted_urls(store, entry)
                 if url not in pinged and not being_sent(entry, url)
                 and (again or _attempts(entry, url) < MAX_ATTEMPTS)]
    return trackback + [url for url, failure in waiting_mentions(entry)
                        if not being_sent(entry, url) and (again or _may_retry(failure))]


def waiting_mentions(entry):
    """[(page URL, its ping_failures record)] of the linked pages waiting to be
    told by Webmention or Pingback (not told yet, or failed), in order."""
    return [(url, failure) for url, failure in entry.ping_failures.items()
            if (failure or {}).get("protocol") in MENTIONS]


def _may_retry(failure):
    return not failure.get("final") and failure.get("attempts", 0) < MAX_ATTEMPTS


def tidy_outbound(store, entry):
    """Before an entry is saved: a URL pinged already is no longer one to ping
    (a form opened before the ping came back sends it again), and the failures
    of URLs the entry no longer pings (removed by its owner) are forgotten."""
    from mtpy.actions.discovery import links_of
    pinged = set(entry.pinged_urls)
    entry.to_ping_urls = [url for url in entry.to_ping_urls if url not in pinged]
    wanted = set(wanted_urls(store, entry))
    # A page waiting for a Webmention or Pingback stays while linked, or while
    # it is one told before (an edit tells it again, even once unlinked).
    blog = store.get(Blog, entry.blog_id)
    wanted.update(entry.notified_links)
    if blog is not None:
        wanted.update(links_of(blog, entry))
    entry.ping_failures = {url: failure for url, failure in entry.ping_failures.items() if url in wanted}


def queue_pings(store, entry, again=False, discover=False):
    """Queue a send_pings job when the entry has URLs to ping, or pages to
    look at (`discover`: its links, the pages told before); its id, or None."""
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
    `discover` to look at the pages its links point at first, and at the pages
    told by Webmention before): ping and tell every URL due, record each
    outcome on the entry, and raise PingsFailed when some failed and may be
    tried again."""
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
        raise PingsFailed("%s of entry %d failed, retried later: %s" % (
            counted(len(retry), "ping"), entry.id, "; ".join("%s: %s" % (url, outcomes[url]) for url in retry)))


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
    from mtpy.urls import entry_permalink
    entry, urls = claim_urls(store, entry.id, again)
    if not urls:
        return {}, []
    mentions = dict(waiting_mentions(entry))
    tellers = {"trackback": trackback_ping(config, ping_fields(blog, entry), blog.site_url),
               "webmention": webmention_ping(config, entry_permalink(blog, entry), blog.site_url),
               "pingback": pingback_ping(config, entry_permalink(blog, entry), blog.site_url)}

    def send_one(url, timeout, deadline):
        mention = mentions.get(url)
        if mention is None:
            return tellers["trackback"](url, timeout, deadline)
        return tellers[mention["protocol"]](url, mention["endpoint"], timeout, deadline)

    outcomes = send_all(config, urls, send_one, deadline_seconds)
    return outcomes, record_outcomes(store, entry.id, outcomes, mentions)


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


def record_outcomes(store, entry_id, outcomes, mentions=None):
    """Keep each outcome on the entry as it is now (its owner may have saved it
    meanwhile): a TrackBack URL pinged joins `pinged_urls`, a page told by
    Webmention or Pingback (`mentions`: {page: its protocol and endpoint})
    `notified_links`; a failure is kept with its protocol. Returns the failed
    URLs that will be tried again."""
    mentions = mentions or {}
    with store.transaction():
        entry = store.get(Entry, entry_id)
        if entry is None:
            return []
        now = dates.utc_now()
        failures = dict(entry.ping_failures)
        notified = dict(entry.notified_links)
        for url, error in outcomes.items():
            mention = mentions.get(url)
            told = {"protocol": mention["protocol"], "endpoint": mention["endpoint"]} if mention else \
                {"protocol": "trackback"}
            if error is None:
                failures.pop(url, None)
                if mention:
                    notified[url] = dict(told, when=now)
                    continue
                if url not in entry.pinged_urls:
                    entry.pinged_urls = entry.pinged_urls + [url]
                entry.to_ping_urls = [kept for kept in entry.to_ping_urls if kept != url]
            else:
                failures[url] = dict(told, error=str(error), when=now, attempts=_attempts(entry, url) + 1)
                if isinstance(error, FinalFailure):
                    failures[url]["final"] = True
        entry.ping_failures = failures
        entry.notified_links = notified
        store.save(entry)
    return [url for url, error in outcomes.items() if error is not None and _may_retry(failures[url])]


def _attempts(entry, url):
    return (entry.ping_failures.get(url) or {}).get("attempts", 0)


def webmention_ping(config, source, site_url):
    """A teller for a page by Webmention: `(page, endpoint, timeout,
    deadline)` POSTs source (the entry's permalink) and target (the page) to
    the endpoint. None on any 2xx; a 4xx is final, with the answer's words
    (as plain text, cropped); a 5xx or a transport error is tried again."""
    from mtpy import outbound
    from mtpy.trackback.replies import REPLY_MAX_BYTES

    def tell(page, endpoint, timeout, deadline):
        try:
            response = outbound.post_form(config, endpoint, [("source", source), ("target", page)],
                                          timeout=timeout, deadline=deadline, site_url=site_url,
                                          max_bytes=REPLY_MAX_BYTES,
                                          user_agent=outbound.default_user_agent(site_url) + " Webmention")
        except outbound.OutboundError as error:
            return error.reason
        if 200 <= response.status < 300:
            return None
        said = ("HTTP %d %s" % (response.status, response.reason)).strip()
        words = _answer_words(response)
        if words:
            said += ": " + words
        return FinalFailure(said) if 400 <= response.status < 500 else said
    return tell


def pingback_ping(config, source, site_url):
    """A teller for a page by Pingback: `(page, server, timeout, deadline)`
    calls pingback.ping(source, page) on the server (XML-RPC). None on success
    or fault 48 (already registered); fault 50 (and WordPress's 429), a 5xx
    and a transport error are tried again; any other fault (said in words), a 4xx or an answer that
    is no XML-RPC is final."""
    import xmlrpc.client
    from mtpy import outbound
    from mtpy.pingback.client import NotAnAnswer, post_call, read_answer
    from mtpy.trackback.replies import REPLY_MAX_BYTES, clean_message

    def tell(page, server, timeout, deadline):
        try:
            response = post_call(config, server, PINGBACK_METHOD, (source, page), timeout=timeout,
                                 deadline=deadline, max_bytes=REPLY_MAX_BYTES, site_url=site_url)
        except outbound.OutboundError as error:
            return error.reason
        status = ("HTTP %d %s" % (response.status, response.reason)).strip()
        try:
            read_answer(response.body, response.headers.get("Content-Type") or "")
        except xmlrpc.client.Fault as fault:
            return _pingback_fault(fault, clean_message(str(fault.faultString or ""))[:200])
        except NotAnAnswer as error:
            if response.status >= 500:
                return status
            return FinalFailure(status if response.status >= 300 else "the Pingback server's answer: %s" % error)
        if not 200 <= response.status < 300:
            return status if response.status >= 500 else FinalFailure(status)
        return None
    return tell


def _pingback_fault(fault, words):
    """A fault's outcome: None for 48, words (final unless TRIED_AGAIN) for the rest."""
    try:
        code = int(fault.faultCode)
    except (TypeError, ValueError):
        code = None
    if code == ALREADY_REGISTERED:
        return None
    meaning = PINGBACK_FAULTS.get(code, "the receiver refused it")
    said = "%s (fault %s%s)" % (meaning, code if code is not None else "?", ": " + words if words else "")
    return said if code in TRIED_AGAIN else FinalFailure(said)


def _answer_words(response):
    """An answer's body as one line of plain text, cropped (it is shown)."""
    from mtpy.text import plain_text
    from mtpy.trackback.replies import clean_message
    return clean_message(plain_text(response.text()))[:200]


def queue_deletion_notices(store, blog, entry):
    """When a published entry is deleted: a tell_deleted job re-sending a
    Webmention to every page told by Webmention before (its page now answers
    410 Gone: mtpy.publish.tombstone). The payload carries the targets, since
    the entry is gone. Its id, or None."""
    from mtpy.urls import entry_permalink
    targets = {url: told["endpoint"] for url, told in entry.notified_links.items()
               if told.get("protocol") == "webmention" and told.get("endpoint")}
    if not targets:
        return None
    return store.enqueue("tell_deleted", {"blog_id": blog.id, "entry_id": entry.id,
                                          "source": entry_permalink(blog, entry), "targets": targets}).id


def send_deletions(store, config, payload, deadline_seconds=JOB_DEADLINE_SECONDS):
    """The tell_deleted job: a Webmention (source: the deleted entry's page,
    now a tombstone) to each target's endpoint, each outcome a line of the
    activity log. The targets that may succeed later stay in the payload and
    PingsFailed asks for the job's retry; the others are done."""
    from mtpy.actions.activity import record
    blog = store.get(Blog, payload["blog_id"])
    targets = dict(payload.get("targets") or {})
    if blog is None or not targets:
        return
    tell = webmention_ping(config, payload["source"], blog.site_url)
    outcomes = send_all(config, list(targets), lambda url, timeout, deadline: tell(
        url, targets[url], timeout, deadline), deadline_seconds)
    with store.transaction():
        for url, error in outcomes.items():
            record(store, "notified", "Deleted entry %s: Webmention to %s %s" % (
                payload.get("entry_id", "?"), url, "sent" if error is None else "failed: %s" % error), blog.id)
    payload["targets"] = {url: targets[url] for url, error in outcomes.items()
                          if error is not None and not isinstance(error, FinalFailure)}
    if payload["targets"]:
        raise PingsFailed("%s of deleted entry %s failed, retried later" % (
            counted(len(payload["targets"]), "Webmention"), payload.get("entry_id", "?")))
