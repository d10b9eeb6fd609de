"""Discovery on publishing: the pages an entry links to are fetched once
each, and what they announce for themselves decides how each is told
(mtpy.actions.sending): the TrackBack ping URL of its RDF block or `<link
rel="trackback">` (mtpy.trackback.discover) joins the entry's URLs to ping;
otherwise its Webmention endpoint (mtpy.webmention.discover), otherwise its
Pingback server (mtpy.pingback.discover) is kept on the entry, the page
waiting to be told. One notification per page: a page told by Pingback is
never told again; one told by Webmention is told again on each edit (at the
endpoint it announces then, or, once unlinked, at the one it had).

Only the weblog's `autodiscover_links` switch turns the fetching of links on.
The weblog's own pages are never fetched; no page of any weblog of this
installation, nor a home page (a URL without a path or query, as WordPress
does), is told by Webmention or Pingback. At most MAX_LINKS links, WORKERS at
a time, each through mtpy.outbound (its address rules: never a loopback or
private address; PingTimeout, a small body), all of them within one deadline.
A page that cannot be fetched or read announces nothing: discovery never fails
the work it is part of.
"""

from collections import namedtuple

from mtpy import dates
from mtpy.actions import ActionError
from mtpy.models import Blog, Entry

MAX_LINKS = 20
MAX_ANCHORS = 1000          # <a> tags read in each of the body and the extended text
WORKERS = 4
DEADLINE_SECONDS = 30       # the send_pings job keeps the rest of its deadline for pinging
GRACE_SECONDS = 1           # for the fetches ending at the deadline to say so

# What a fetched page announces for itself: each an absolute URL, or None.
Announced = namedtuple("Announced", "trackback webmention pingback")


def links_of(blog, entry):
    """The absolute http(s) addresses the `<a href>`s of the entry's body and
    extended text point at, in order, once each, without the weblog's own
    pages (under its site or archive URL); at most MAX_LINKS."""
    links = []
    for text in (entry.body, entry.extended):
        for href in _hrefs(text or ""):
            if len(links) >= MAX_LINKS:
                return links
            if href not in links and _is_web_url(href) and not _is_own_page((blog.site_url, blog.archive_url), href):
                links.append(href)
    return links


def discover(config, blog, entry, deadline_seconds=DEADLINE_SECONDS, pages=None):
    """{page: Announced, or None when the page was not fetched (an error, a
    refusal, no time left)} for each of `pages` (default: links_of(blog,
    entry)), fetched WORKERS at a time; returns by `deadline_seconds` (and a
    moment's grace) whatever happens. Nothing is raised."""
    import time
    from concurrent.futures import ThreadPoolExecutor, wait
    links = links_of(blog, entry) if pages is None else list(pages)
    if not links:
        return {}
    deadline = time.monotonic() + deadline_seconds
    timeout = float(config.get("PingTimeout"))

    def find(link):
        now = time.monotonic()
        if now >= deadline:
            return None
        return _announced(config, link, blog.site_url, timeout, min(deadline, now + timeout))

    pool = ThreadPoolExecutor(max_workers=min(WORKERS, len(links)))
    try:
        futures = [pool.submit(find, link) for link in links]
        # Each fetch ends by the deadline; a name lookup cannot be interrupted,
        # so a slow one is left behind rather than waited for.
        done, _ = wait(futures, timeout=max(deadline - time.monotonic(), 0) + GRACE_SECONDS)
    finally:
        pool.shutdown(wait=False)
    return {link: future.result() if future in done else None for link, future in zip(links, futures)}


def add_discovered(store, config, blog, entry_id, deadline_seconds=DEADLINE_SECONDS):
    """For a published entry: look at the pages its links point at (when the
    weblog discovers links) and at the pages told by Webmention before, and
    plan how each is told: the TrackBack ping URLs announced join the entry's
    URLs to ping (those not already to ping or pinged); a page without one
    waits to be told by Webmention or Pingback (see mtpy.actions.sending).
    Saved on the entry as it is then. Returns the TrackBack URLs added."""
    entry = store.get(Entry, entry_id)
    if entry is None or entry.blog_id != blog.id or entry.status != "Publish":
        return []
    links = links_of(blog, entry) if blog.autodiscover_links else []
    told_before = [url for url, told in entry.notified_links.items()
                   if told.get("protocol") == "webmention" and url not in links]
    if not links and not told_before:
        return []
    # A page unlinked since is told again at the endpoint it had: it is not fetched again.
    found = discover(config, blog, entry, deadline_seconds, pages=links) if links else {}
    found.update((page, None) for page in told_before)
    own_bases = installation_bases(store)
    with store.transaction():
        # Read again: the owner may have saved the entry, or pings been recorded, meanwhile.
        entry = store.get(Entry, entry_id)
        if entry is None:
            return []
        known = set(entry.to_ping_urls) | set(entry.pinged_urls)
        added, waiting = [], dict(entry.ping_failures)
        for page, announced in found.items():
            told = entry.notified_links.get(page)
            if told is not None:
                if told.get("protocol") == "webmention":
                    endpoint = announced.webmention if announced and _is_web_url(announced.webmention) else None
                    _wait_to_tell(entry, waiting, page, "webmention", endpoint or told.get("endpoint"))
                continue        # told by Pingback already: never twice
            if page not in links or announced is None:
                continue
            ping_url = announced.trackback if _is_web_url(announced.trackback) else None
            if ping_url:
                if ping_url not in known and ping_url not in added:
                    added.append(ping_url)
            elif not is_home_page(page) and not _is_own_page(own_bases, page) and not _pinged_under(entry, page):
                for protocol in ("webmention", "pingback"):
                    endpoint = getattr(announced, protocol)
                    if _is_web_url(endpoint):
                        _wait_to_tell(entry, waiting, page, protocol, endpoint)
                        break
        if added or waiting != entry.ping_failures:
            entry.to_ping_urls = entry.to_ping_urls + added
            entry.ping_failures = waiting
            store.save(entry)
    return added


# How long a sending job's claim on a URL holds (mtpy.actions.sending): past
# it, the job is taken to have died and the URL is free to send again.
CLAIM_SECONDS = 240


def being_sent(entry, url):
    """Whether a sending job has claimed the URL and not yet recorded its outcome."""
    claimed = (entry.ping_failures.get(url) or {}).get("sending_since", "")
    return bool(claimed) and claimed > dates.utc_now(-CLAIM_SECONDS)


def _wait_to_tell(entry, waiting, page, protocol, endpoint):
    """Mark `page` to be told by `protocol` at `endpoint` (in `waiting`, the
    entry's ping_failures to be): unless a job is sending it now, or its last
    answer was final (only the owner's retry sends it again)."""
    earlier = waiting.get(page) or {}
    if not endpoint or being_sent(entry, page) or earlier.get("final"):
        return
    kept = {key: value for key, value in earlier.items() if key in ("error", "when", "attempts")}
    waiting[page] = dict(kept, protocol=protocol, endpoint=endpoint)


def _pinged_under(entry, page):
    """Whether the entry pings the page itself by TrackBack, or a URL under
    it (WordPress's `<permalink>trackback/`, typed by the owner): the page
    hears of the entry that way, never twice."""
    pinged = entry.to_ping_urls + entry.pinged_urls
    folder = page.split("#")[0]
    if page in pinged:
        return True
    if "?" in folder:
        return False        # ?p=12 pages: nothing is under them
    folder = folder if folder.endswith("/") else folder + "/"
    return any(url.startswith(folder) for url in pinged)


def is_home_page(url):
    """A URL with no path (or only "/") and no query: a site's home page,
    never told of a link (as WordPress does)."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    return parts.path in ("", "/") and not parts.query


def installation_bases(store):
    """The site and archive URLs of every weblog of this installation."""
    bases = []
    for blog in store.find(Blog):
        bases += [base for base in (blog.site_url, blog.archive_url) if base]
    return bases


def announced_items(config, blog, url, limit):
    """The TrackBack entries the page at `url` announces (the bookmarklet's
    QuickPost offers to ping them): [{"ping_url", "title"}], web links only,
    once each, at most `limit`. ActionError when the page cannot be fetched,
    saying why."""
    from mtpy import outbound
    from mtpy.text import web_link
    from mtpy.trackback.discover import trackback_items
    try:
        page = outbound.fetch_page(config, url, site_url=blog.site_url)
    except outbound.OutboundError as error:
        raise ActionError(error.reason) from None
    items = []
    for item in trackback_items(page.text, page.url)[:limit]:
        if web_link(item.ping_url) and item.ping_url not in [known["ping_url"] for known in items]:
            items.append({"ping_url": item.ping_url, "title": item.title or ""})
    return items


def _announced(config, link, site_url, timeout, deadline):
    """What the page at `link` announces for itself (Announced), or None."""
    from mtpy import outbound
    from mtpy.pingback.discover import pingback_server
    from mtpy.trackback.discover import ping_url_for
    from mtpy.webmention.discover import webmention_endpoint
    try:
        page = outbound.fetch_page(config, link, site_url=site_url, timeout=timeout, deadline=deadline)
        text = page.text if page.is_page else ""
        return Announced(ping_url_for(text, link, page_url=page.url) if text else None,
                         webmention_endpoint(page.url, page.headers, text),
                         pingback_server(page.url, page.headers, text))
    except outbound.OutboundError:
        return None
    except Exception as error:      # never let one page take the others' outcomes down
        from mtpy import web
        web.log_error(config.get("LogFile"), "Auto-discovery on %s failed: %r" % (link, error))
        return None


def _hrefs(text):
    from mtpy.trackback.discover import html_start_tags
    for attributes in html_start_tags(text, "a", MAX_ANCHORS):
        href = (attributes.get("href") or "").strip()
        if href:
            yield href


def _is_web_url(url):
    from urllib.parse import urlsplit
    if not url or not url.isprintable() or any(char.isspace() for char in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _is_own_page(bases, url):
    """Whether `url` is under one of the `bases` (a weblog's site or archive URL)."""
    from mtpy.urls import is_under
    return any(base and is_under(url, base) for base in bases)
