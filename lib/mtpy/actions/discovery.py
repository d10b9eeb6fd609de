"""TrackBack auto-discovery on publishing: the pages an entry links to are
fetched, and the ping URLs they announce for themselves (mtpy.trackback.discover)
join the entry's URLs to ping.

Only the weblog's `autodiscover_links` switch turns it on. The weblog's own
pages are never fetched; at most MAX_LINKS links, WORKERS at a time, each
through mtpy.outbound (its address rules, PingTimeout, a small body), all of
them within one deadline. A page that cannot be fetched or read announces
nothing: discovery never fails the work it is part of.
"""

from mtpy.actions import ActionError
from mtpy.models import Entry

MAX_LINKS = 20
MAX_ANCHORS = 1000          # <a> tags read in each of the body and the extended text
WORKERS = 4
DEADLINE_SECONDS = 30       # the send_pings job keeps the rest of its deadline for pinging
GRACE_SECONDS = 1           # for the fetches ending at the deadline to say so
_DEFAULT_PORTS = {"http": 80, "https": 443}


def links_of(blog, entry):
    """The absolute http(s) addresses the `<a href>`s of the entry's body and
    extended text point at, in order, once each, without the weblog's own
    pages (under its site or archive URL); at most MAX_LINKS."""
    links = []
    for text in (entry.body, entry.extended):
        for href in _hrefs(text or ""):
            if len(links) >= MAX_LINKS:
                return links
            if href not in links and _is_web_url(href) and not _is_own_page(blog, href):
                links.append(href)
    return links


def discover(config, blog, entry, deadline_seconds=DEADLINE_SECONDS):
    """{link: the ping URL its page announces for itself, or None} for each of
    links_of(blog, entry), fetched WORKERS at a time; returns by
    `deadline_seconds` (and a moment's grace) whatever happens. A page not
    fetched (an error, a refusal, not text, no time left) gives None; nothing
    is raised."""
    import time
    from concurrent.futures import ThreadPoolExecutor, wait
    links = links_of(blog, entry)
    if not links:
        return {}
    deadline = time.monotonic() + deadline_seconds
    timeout = float(config.get("PingTimeout"))

    def find(link):
        now = time.monotonic()
        if now >= deadline:
            return None
        return _announced_ping_url(config, link, blog.site_url, timeout, min(deadline, now + timeout))

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
    """When the weblog discovers links and the entry is published: add the
    ping URLs its links' pages announce to the entry's URLs to ping (those not
    already to ping or pinged), saved on the entry as it is then. Returns the
    URLs added."""
    entry = store.get(Entry, entry_id)
    if not blog.autodiscover_links or entry is None or entry.blog_id != blog.id \
            or entry.status != "Publish":
        return []
    found = []
    for ping_url in discover(config, blog, entry, deadline_seconds).values():
        if ping_url and ping_url not in found and _is_web_url(ping_url):
            found.append(ping_url)
    if not found:
        return []
    with store.transaction():
        # Read again: the owner may have saved the entry, or pings been recorded, meanwhile.
        entry = store.get(Entry, entry_id)
        if entry is None:
            return []
        known = set(entry.to_ping_urls) | set(entry.pinged_urls)
        added = [url for url in found if url not in known]
        if added:
            entry.to_ping_urls = entry.to_ping_urls + added
            store.save(entry)
    return added


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


def _announced_ping_url(config, link, site_url, timeout, deadline):
    """The ping URL the page at `link` announces for itself, or None."""
    from mtpy import outbound
    from mtpy.trackback.discover import ping_url_for
    try:
        page = outbound.fetch_page(config, link, site_url=site_url, timeout=timeout, deadline=deadline)
        if not page.is_page:
            return None
        return ping_url_for(page.text, link, page_url=page.url)
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


def _is_own_page(blog, url):
    """Whether `url` is under the weblog's site or archive URL (by either
    scheme, any spelling of its host and port)."""
    where = _place(url)
    for base in (blog.site_url, blog.archive_url):
        own = _place(base)
        if own is None or where is None:
            continue
        host, path = own
        folder = path if path.endswith("/") else path + "/"
        if where[0] == host and (where[1].rstrip("/") == folder.rstrip("/") or where[1].startswith(folder)):
            return True
    return False


def _place(url):
    """(host[:port], path) of an http(s) URL in one spelling, or None."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[parts.scheme.lower()]:
        host += ":%d" % port
    return host, parts.path or "/"
