"""Link-back verification: after a ping is answered, its source page is fetched
and must link to what was pinged; the outcome decides a held ping's fate.

A link counts when an `<a href>` of the page (relative ones resolved against the
page's URL, or its `<base href>`) points at one of the targets: the entry's
permalink, or for a category's item its archive page or the weblog's URL. The
spellings of one address all count: http or https, with `www.` or without, the
host in any case, a default port written or not, a trailing slash or not, any
#fragment. The query must match. A link inside an HTML comment does not count
(no reader sees it), nor an address that is only text.

The job (`check_linkback`, queued by the receiver when the weblog checks
link-backs) records `ping.linkback` and then, unless the owner has decided
meanwhile: ok -> the ping is published unless moderation holds it; missing ->
junk (linkback_check "junk") or held; unreachable -> held, with the reason.
A remote failure is an outcome, never an error: nothing is retried.

Also noted, as a reason (+1 to the junk score) and never as a verdict by itself:
the source's host not resolving to the address the ping came from.
"""

from mtpy import dates
from mtpy.actions.activity import record
from mtpy.models import Blog, Category, Entry, Ping, Trackback
from mtpy.urls import category_archive_url, entry_permalink
from mtpy.junk import moderation_holds

MAX_ANCHORS = 20000         # `<a>` tags read on a page: more than outbound.READ_PAGE_MAX_BYTES can hold links to elsewhere
LOOKUP_SECONDS = 5          # at most, for the source host's addresses
MISSING_ENTRY = "the source page does not link to this entry"
MISSING_CATEGORY = "the source page links neither to this category nor to the weblog"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def links_back(page_html, page_url, targets):
    """Whether the page (its text, and the URL it came from) has an `<a href>`
    pointing at one of `targets`, in any spelling of the same address (see the
    module's docstring)."""
    from mtpy.trackback.discover import html_start_tags
    wanted = {spelling for spelling in map(_spelling, targets) if spelling is not None}
    if not wanted:
        return False
    text = _without_comments(page_html or "")
    base = page_url or ""
    for attributes in html_start_tags(text, "base", 1):
        base = _joined(base, attributes.get("href") or "") or base
    for attributes in html_start_tags(text, "a", MAX_ANCHORS):
        href = attributes.get("href") or ""
        if href.strip() and _spelling(_joined(base, href)) in wanted:
            return True
    return False


def targets_for(store, blog, ping):
    """The URLs a link to which makes the ping's source link back: the entry's
    permalink (and its item's URL, when it was stored otherwise), or the
    category's archive page and the weblog's URL."""
    item = store.get(Trackback, ping.tb_id)
    if item is None:
        return []
    targets = []
    if item.entry_id is not None:
        entry = store.get(Entry, item.entry_id)
        if entry is not None:
            targets.append(entry_permalink(blog, entry))
    else:
        category = store.get(Category, item.category_id)
        if category is not None:
            targets.append(category_archive_url(blog, category))
        targets.append(blog.site_url)
    targets.append(item.url)
    found = []
    for url in targets:
        if url and url not in found:
            found.append(url)
    return found


def check_linkback(store, config, payload):
    """The `check_linkback` job (payload: ping_id): fetch the ping's source,
    record `ping.linkback`, and publish, junk or keep holding the ping. A ping
    deleted meanwhile is forgotten; one the owner approved or junked meanwhile
    (visible, or junk) only gets the check recorded. Returns the ids of the
    jobs it queued (republishing, the mail): the worker runs them next."""
    ping = store.get(Ping, payload["ping_id"])
    blog = store.get(Blog, ping.blog_id) if ping is not None else None
    if blog is None:
        return []
    timeout = float(config.get("PingTimeout"))
    mismatch = address_mismatch(ping.source_url, ping.ip, min(timeout, LOOKUP_SECONDS))
    item = store.get(Trackback, ping.tb_id)
    missing = MISSING_CATEGORY if item is not None and item.entry_id is None else MISSING_ENTRY
    state, reason = fetch_and_check(config, blog, ping, targets_for(store, blog, ping), missing)
    job_ids = []
    with store.transaction():
        ping = store.get(Ping, ping.id)
        blog = store.get(Blog, ping.blog_id) if ping is not None else None
        if blog is None:
            return []
        ping.linkback = {"state": state, "reason": reason, "when": dates.utc_now()}
        outcome = "left as the owner decided"
        if not (ping.visible or ping.junk):
            if mismatch and mismatch not in ping.junk_reasons:
                ping.junk_reasons = ping.junk_reasons + [mismatch]
                ping.junk_score += 1
            outcome = "held"
            if state == "ok" and not moderation_holds(blog, ping.junk_score):
                ping.visible = True
                outcome = "published"
            elif state == "missing" and blog.linkback_check == "junk":
                ping.junk = True
                if reason not in ping.junk_reasons:
                    ping.junk_reasons = ping.junk_reasons + [reason]
                outcome = "junk"
        store.save(ping)
        if outcome == "published":
            from mtpy.actions.pings import pings_changed
            job_ids = pings_changed(store, config, blog, [ping.tb_id], new_ping=ping)
        if outcome in ("published", "held") and blog.email_new_pings:
            # The owner hears of the ping once, after its check: published, or awaiting approval.
            job_ids.append(store.enqueue("notify_ping", {"ping_id": ping.id}).id)
        words = "ok" if state == "ok" else ("unreachable: " + reason if state == "unreachable" else reason)
        record(store, "ping", "Link back checked for ping %d from %s: %s (%s)" % (
            ping.id, ping.source_url, words, outcome), blog.id)
    return job_ids


def fetch_and_check(config, blog, ping, targets, missing=MISSING_ENTRY):
    """("ok" | "missing" | "unreachable", reason in words): the source fetched
    through mtpy.outbound.fetch_page (its address rules, PingTimeout, a bounded page) and
    read for a link to one of `targets`; `missing` says what a page without
    one lacks."""
    from mtpy import outbound
    try:
        page = outbound.fetch_page(config, ping.source_url, site_url=blog.site_url)
    except outbound.OutboundError as error:
        return "unreachable", error.reason
    if not page.is_page:
        return "missing", "%s: it is not a web page (%s)" % (missing, page.content_type[:60])
    if links_back(page.text, page.url, targets):
        return "ok", "the source page links back"
    return "missing", missing


def address_mismatch(source_url, sender_ip, seconds=LOOKUP_SECONDS):
    """A reason (words) when the source URL's host does not resolve to the
    address the ping came from; None when it does, or when that cannot be told
    within `seconds` (no address, a lookup failing or too slow, a reserved
    name, which is never looked up)."""
    import ipaddress
    from urllib.parse import urlsplit
    from mtpy.outbound import RESERVED_NAMES
    try:
        sender = _plain_address(ipaddress.ip_address((sender_ip or "").strip()))
        host = urlsplit(source_url).hostname
    except ValueError:
        return None
    if not host or host.rstrip(".").rsplit(".", 1)[-1] in RESERVED_NAMES:
        return None
    try:
        addresses = {ipaddress.ip_address(host.split("%")[0])}
    except ValueError:
        addresses = _looked_up(host, seconds)
    if not addresses:
        return None
    if sender in {_plain_address(address) for address in addresses}:
        return None
    return "the source's host %s is not at the sender's address %s" % (host[:100], sender)


def _looked_up(host, seconds):
    """The host's addresses (ipaddress objects), or None when the lookup fails
    or takes longer than `seconds`: a lookup cannot be interrupted, so a slow
    one is left behind in its thread rather than waited for."""
    import ipaddress
    import socket
    import threading
    found = []

    def look_up():
        try:
            infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM)
            found.append({ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos})
        except (OSError, UnicodeError, ValueError):
            pass

    worker = threading.Thread(target=look_up, daemon=True)
    worker.start()
    worker.join(seconds)
    return found[0] if found else None


def _plain_address(address):
    """An IPv4-mapped IPv6 address as the IPv4 address it is."""
    return address.ipv4_mapped or address if address.version == 6 else address


def _without_comments(text):
    """The text without its HTML comments (one left open runs to the end, as
    browsers read it)."""
    import re
    return re.sub(r"<!--.*?(?:-->|\Z)", " ", text, flags=re.S)


def same_address(url, other):
    """Whether two URLs are spellings of one http(s) address (see the module's
    docstring): find_target's rule for a Pingback's or Webmention's target."""
    spelling = _spelling(url)
    return spelling is not None and spelling == _spelling(other)


def _joined(base, href):
    """`href` resolved against `base` (tabs and line breaks inside it dropped,
    as browsers do), or None when it is no URL."""
    from urllib.parse import urljoin
    href = "".join(char for char in href.strip() if char not in "\t\r\n")
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _spelling(url):
    """One spelling of an http(s) address for comparing: (host without `www.`,
    port unless the default, path without a trailing slash, query); None for
    anything else."""
    from urllib.parse import urlsplit
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    host = host.lower()
    if host.startswith("www."):
        host = host[4:]
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return host, port, parts.path.rstrip("/"), parts.query
