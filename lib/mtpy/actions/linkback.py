"""Link-back verification, one for all three protocols: after a notification
is answered, its source page is fetched and must link to what it names; the
outcome decides the ping's fate.

Which links count (mtpy.sources): `<a href>`, `<img src>`, `<video>`,
`<audio>` or `<source src>` of the page (relative ones resolved against the
page's URL, or its `<base href>`) pointing at one of the targets: a
TrackBack's entry permalink, or for a category's item its archive page or the
weblog's URL; a Pingback's or Webmention's target page exactly. The spellings
of one address all count: http or https, with `www.` or without, the host in
any case, a default port written or not, a trailing slash or not, any
#fragment. The query must match. A link inside an HTML comment does not count
(no reader sees it), nor an address that is only text.

The source is fetched through mtpy.outbound.fetch_page (its address rules,
PingTimeout, READ_PAGE_MAX_BYTES, MAX_REDIRECTS), and the request names who
asked: `X-Pingback-Forwarded-For: <the sender's address>`, as WordPress's
does, so a page fetched at a stranger's request can tell whose it was.

The job (`check_linkback`: queued by the receiver for every Pingback and
Webmention, and for a TrackBack where the weblog checks link-backs) records
`ping.linkback` ({"state", "reason", "when"}, and "published": the source's
own date, for a mention whose h-entry gives one) and then, unless the owner
has decided meanwhile:
- TrackBack: ok -> published unless moderation holds it; missing -> junk
  (linkback_check "junk") or held; unreachable -> held, with the reason.
- Pingback and Webmention, a first check: ok -> the ping takes what its
  source says (mtpy.sources: title, excerpt, author, kind), is judged again
  on it (mtpy.junk: the block list reads it now), then published unless
  moderation holds it; missing (or gone, 410) -> junk, or held where the
  weblog's linkback_check is "hold"; unreachable -> held, with the reason,
  and no mail (nothing is known of it yet). A Webmention sent again is
  checked again, the one its check junked included (junked_by_check).
- A later check of a mention verified before (the same source sent again):
  ok -> updated in place, republished if shown (and shown again if it had
  been withdrawn); gone (410) or no longer linking -> `withdrawn`: hidden,
  kept for the owner, its pages republished; unreachable -> left as it was.
The owner is mailed once, after the first decision: published, or held for
approval. A page of this installation's own weblogs (mtpy.urls.own_weblog)
with the weblog's own_links "quiet" is never held and never mailed about.
A remote failure is an outcome, never an error: nothing is retried.

Also noted, as a reason (+1 to the junk score) and never as a verdict by itself:
the source's host not resolving to the address the ping came from.
"""

from mtpy import dates
from mtpy.actions.activity import record
from mtpy.junk import JUNK_SCORE, is_junk, judge, moderation_holds
from mtpy.models import Blog, Category, Entry, Ping, Trackback
from mtpy.urls import category_archive_url, entry_permalink, own_weblog

LOOKUP_SECONDS = 5          # at most, for the source host's addresses
MISSING_ENTRY = "the source page does not link to this entry"
MISSING_CATEGORY = "the source page links neither to this category nor to the weblog"
MISSING_TARGET = "the source page does not link to the page it names"
GONE = "the source page is gone (410)"
FORWARDED_FOR = "X-Pingback-Forwarded-For"


def targets_for(store, blog, ping):
    """The URLs a link to which makes the ping's source link back: a
    Pingback's or Webmention's target page; a TrackBack's entry permalink (and
    its item's URL, when it was stored otherwise), or the category's archive
    page and the weblog's URL."""
    if ping.protocol != "trackback" and ping.target_url:
        return [ping.target_url]
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
    """The `check_linkback` job (payload: ping_id, and `approved` when the
    owner approved a Pingback or Webmention never checked: shown once its
    source links here, without moderation or mail): fetch the ping's source,
    record `ping.linkback`, and publish, junk, hold, update or withdraw the
    ping (see the module's docstring). A ping deleted meanwhile is forgotten.
    Returns the ids of the jobs it queued (republishing, the mail): the worker
    runs them next."""
    ping = store.get(Ping, payload["ping_id"])
    blog = store.get(Blog, ping.blog_id) if ping is not None else None
    if blog is None:
        return []
    timeout = float(config.get("PingTimeout"))
    mismatch = address_mismatch(ping.source_url, ping.ip, min(timeout, LOOKUP_SECONDS))
    state, reason, said = fetch_and_check(config, blog, ping, targets_for(store, blog, ping),
                                          _missing(store, ping))
    with store.transaction():
        ping = store.get(Ping, ping.id)
        blog = store.get(Blog, ping.blog_id) if ping is not None else None
        if blog is None:
            return []
        quiet = blog.own_links == "quiet" and own_weblog(ping.source_url, store.find(Blog)) is not None
        first = ping.protocol == "trackback" or not (ping.withdrawn or ping.linkback.get("state") == "ok")
        shown = ping.visible
        if ping.protocol != "trackback" and junked_by_check(ping):
            # Checked again (sent again): its last check's verdict is no longer the
            # owner's to keep; undone first, so that judging it again does not
            # count it as a junked source.
            ping.junk = False
            ping.junk_reasons = [why for why in ping.junk_reasons if why != ping.linkback["reason"]]
            store.save(ping)
        ping.linkback = {"state": state, "reason": reason, "when": dates.utc_now()}
        if mismatch and not (ping.visible or ping.junk) and mismatch not in ping.junk_reasons:
            ping.junk_reasons = ping.junk_reasons + [mismatch]
            ping.junk_score += 1
        if ping.protocol == "trackback":
            outcome = _trackback_outcome(blog, ping, state, reason, quiet)
        else:
            outcome = _mention_outcome(store, blog, ping, state, reason, said, first,
                                       quiet or bool(payload.get("approved")), mismatch)
        store.save(ping)
        from mtpy.actions.pings import pings_changed
        job_ids = []
        if outcome == "published":
            job_ids = pings_changed(store, config, blog, [ping.tb_id], new_ping=ping)
        elif outcome == "shown again" or shown and outcome in ("updated", "withdrawn", "junk"):
            job_ids = pings_changed(store, config, blog, [ping.tb_id])
        verified = ping.protocol == "trackback" or state == "ok"
        if first and verified and outcome in ("published", "held") and blog.email_new_pings and not quiet \
                and not payload.get("approved"):
            # The owner hears of the ping once, after its first check: published, or awaiting approval.
            job_ids.append(store.enqueue("notify_ping", {"ping_id": ping.id}).id)
        words = "ok" if state == "ok" else ("unreachable: " + reason if state == "unreachable" else reason)
        record(store, "ping", "Link back checked for ping %d from %s: %s (%s)" % (
            ping.id, ping.source_url, words, outcome), blog.id)
    return job_ids


def junked_by_check(ping):
    """Whether a Pingback's or Webmention's junk mark is its link-back check's
    (its source lacked the link), not the owner's nor the junk score's."""
    return (ping.junk and ping.linkback.get("state") == "missing" and ping.junk_score < JUNK_SCORE
            and ping.linkback.get("reason") in ping.junk_reasons)


def _missing(store, ping):
    """What a source without the link lacks, in words."""
    if ping.protocol != "trackback" and ping.target_url:
        return MISSING_TARGET
    item = store.get(Trackback, ping.tb_id)
    return MISSING_CATEGORY if item is not None and item.entry_id is None else MISSING_ENTRY


def _trackback_outcome(blog, ping, state, reason, quiet):
    """A TrackBack's fate after its check (its fields are its sender's)."""
    if ping.visible or ping.junk:
        return "left as the owner decided"
    if state == "ok" and (quiet or not moderation_holds(blog, ping.junk_score)):
        ping.visible = True
        return "published"
    if state == "missing" and blog.linkback_check == "junk":
        _junk(ping, reason)
        return "junk"
    return "held"


def _mention_outcome(store, blog, ping, state, reason, said, first, quiet, mismatch):
    """A Pingback's or Webmention's fate after a check: see the module's docstring."""
    if state == "ok":
        _take_what_the_source_says(ping, said)
        came_back, ping.withdrawn = ping.withdrawn, False
        if ping.junk:
            return "left as the owner decided"
        if not (first or came_back or ping.visible):
            return "held"           # updated, still awaiting the owner's approval
        if _judged_junk(store, blog, ping, mismatch):
            return "junk"
        if ping.visible:
            ping.updated_on = dates.utc_now()     # what the popup's kept page is checked against
            return "updated"
        if quiet or not moderation_holds(blog, ping.junk_score):
            ping.visible = True
            return "shown again" if came_back else "published"
        return "held"
    if not first:
        if state == "unreachable":
            return "left as it was"
        ping.withdrawn, ping.visible = True, False
        return "withdrawn"
    if ping.visible or ping.junk:
        return "left as the owner decided"
    if state == "missing" and blog.linkback_check != "hold":
        _junk(ping, reason)
        return "junk"
    return "held"


def _take_what_the_source_says(ping, said):
    """The ping's fields from its source (mtpy.sources: plain text, http(s)
    URLs), all of them: a Pingback or Webmention brings nothing else, and an
    update says what the source says now. Its weblog name (what TrackBack-era
    templates show) is the author's, else the source's host."""
    from mtpy.junk import source_host
    from mtpy.trackback.rules import FIELD_LIMIT
    ping.title = said.title or ping.source_url[:FIELD_LIMIT]
    ping.excerpt = said.excerpt
    ping.author_name, ping.author_url, ping.author_photo = said.author_name, said.author_url, said.author_photo
    ping.blog_name = said.author_name or source_host(ping.source_url)[:FIELD_LIMIT]
    ping.kind = said.kind
    if said.published:
        ping.linkback["published"] = said.published


def _judged_junk(store, blog, ping, mismatch):
    """Judge the ping again on what its source said (the block list reads its
    title and excerpt now; `mismatch`, a reason or None, counts as before);
    True, and the ping junk and hidden, when it is."""
    score, reasons = judge(store, blog, ping)
    if mismatch:
        score, reasons = score + 1, reasons + [mismatch]
    ping.junk_score, ping.junk_reasons = score, reasons
    if is_junk(score):
        ping.junk, ping.visible = True, False
        return True
    return False


def _junk(ping, reason):
    ping.junk = True
    if reason not in ping.junk_reasons:
        ping.junk_reasons = ping.junk_reasons + [reason]


def fetch_and_check(config, blog, ping, targets, missing=MISSING_ENTRY):
    """("ok" | "missing" | "unreachable", reason in words, a mtpy.sources.Source):
    the source fetched through mtpy.outbound.fetch_page (its address rules,
    PingTimeout, a bounded page; X-Pingback-Forwarded-For naming the sender)
    and read for a link to one of `targets`; `missing` says what a page
    without one lacks. A source answering 410 Gone, or saying so in a
    `<meta http-equiv="Status">`, is missing (GONE)."""
    # Imported here, not at the top: a repeated Webmention's answer
    # (receive's junked_by_check) loads this module but never reads a page.
    from mtpy import outbound
    from mtpy.sources import Source, read_source
    said = Source()
    try:
        page = outbound.fetch_page(config, ping.source_url, site_url=blog.site_url,
                                   extra_headers={FORWARDED_FOR: ping.ip} if ping.ip else None)
    except outbound.OutboundError as error:
        if error.response is not None and error.response.status == 410:
            said.gone = True
            return "missing", GONE, said
        return "unreachable", error.reason, said
    if not page.is_page:
        return "missing", "%s: it is not a web page (%s)" % (missing, page.content_type[:60]), said
    said = read_source(page.text, page.url, targets)
    if said.gone:
        return "missing", GONE, said
    if said.links:
        return "ok", "the source page links back", said
    return "missing", missing, said


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


