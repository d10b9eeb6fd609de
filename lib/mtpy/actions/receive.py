"""Receiving a ping, whichever protocol brought it: MT 2.6's order of checks
(tb_id, url, the item, disabled, passphrase, ban, throttle), then store, judge
(mtpy.junk), moderate and what follows (mtpy.actions.pings.pings_changed:
feed, republish; the notification; the link-back check).

A front end parses its protocol and calls receive() with an Incoming: the
target item, the source URL, title, excerpt, sender's name and address.
TrackBack's is mtpy.apps.trackback with mtpy.trackback.form (incoming_ping);
Pingback's and Webmention's find the item of the page they are told about
(find_target) and call the same action, and so share every check, the store,
moderation, verification and publishing. A Pingback or Webmention is stored
hidden and shown only once its source is verified (the `check_linkback` job,
mtpy.actions.linkback), whatever the weblog's link-back setting.

Each check that fails stores nothing and raises PingRejected with MT's message.
A ping judged junk is answered with success all the same: a spammer learns
nothing.
"""

from mtpy import dates
from mtpy.actions import activity
from mtpy.addresses import ip_is_banned, normalize_address
from mtpy.actions.pings import pings_changed
from mtpy.junk import is_junk, judge, moderation_holds
from mtpy.models import PROTOCOL_NAMES, Blog, Category, Entry, IPBan, Ping, Trackback
from mtpy.text import record_id
from mtpy.trackback import rules
from mtpy.trackback.rules import URL_LIMIT, normalize_url, ping_fields, url_too_long


class PingRejected(Exception):
    """`blog_id`: the weblog pinged, once known (for the activity log)."""

    def __init__(self, message, status="200 OK", headers=(), blog_id=None):
        Exception.__init__(self, message)
        self.message = message
        self.status = status
        self.headers = list(headers)
        self.blog_id = blog_id


def find_item(store, tb_id_text):
    """The item a ping or listing may address: it exists and, for an entry, the
    entry is published. Returns (item, blog) or raises Invalid TrackBack ID."""
    return _find_item(store, tb_id_text)[:2]


def _find_item(store, tb_id_text):
    """find_item's (item, blog), and the item's entry (None for a category's)."""
    item_id = record_id(tb_id_text)
    item = store.get(Trackback, item_id) if item_id is not None else None
    entry = None
    if item is not None and item.entry_id is not None:
        entry = store.get(Entry, item.entry_id)
        if entry is None or entry.status != "Publish":
            item = None
    if item is not None and item.category_id is not None and store.get(Category, item.category_id) is None:
        item = None
    blog = store.get(Blog, item.blog_id) if item is not None else None
    if blog is None:
        raise PingRejected("Invalid TrackBack ID '%s'" % tb_id_text)
    return item, blog, entry


class Incoming:
    """A notification that a page links to one of ours, whichever protocol
    brought it: `target` (the TrackBack item's id as the sender gave it, or as
    find_target found it), `source_url` (the linking page), `title`, `excerpt`
    and `sender_name` (the linking site's name) as given, None where the
    protocol or sender gave none (absent and empty differ:
    mtpy.trackback.rules.ping_fields), `remote_ip` (the sender's address),
    `passphrase` (the item's, "" from a protocol without one), `protocol`
    (mtpy.models.PROTOCOLS) and `target_url` (the page of ours the sender
    named: Pingback's and Webmention's target)."""

    def __init__(self, target, source_url, title=None, excerpt=None, sender_name=None, remote_ip="",
                 passphrase="", protocol="trackback", target_url=""):
        self.target = target
        self.source_url = source_url
        self.title = title
        self.excerpt = excerpt
        self.sender_name = sender_name
        self.remote_ip = remote_ip
        self.passphrase = passphrase
        self.protocol = protocol
        self.target_url = target_url

    def fields(self):
        """The ping's fields by MT's names, those given only (ping_fields' input)."""
        given = {"url": self.source_url, "title": self.title, "excerpt": self.excerpt,
                 "blog_name": self.sender_name}
        return {name: value for name, value in given.items() if value is not None}


class AlreadyRegistered(Exception):
    """A Pingback from a source already registered on that target (fault 48)."""


def receive(store, config, incoming):
    """Check, store, judge and moderate one notification (an Incoming).
    Returns (the new Ping, ids of the jobs queued for after the response);
    (None, []) for a repeated TrackBack (item, source url), which answers
    success and stores nothing, as does junk beyond the weblog's limits
    (_over_junk_limit) and, where the weblog's own_links is "ignore", a
    notification from a page of one of this installation's weblogs
    (mtpy.urls.own_weblog). A repeated Webmention is an update: (the stored Ping,
    [its new check]); a repeated Pingback raises AlreadyRegistered.

    The verdict: junk (stored hidden; nothing follows); held (stored hidden)
    when the weblog holds every ping, or suspicious ones and this one scored, or
    checks link-backs (the check, queued, may publish it), or holds pings beyond
    its limits (hold_over_limit: then no mail and no check, until `mtpy ping
    release`); otherwise published. The owner is mailed (email_new_pings) of a
    published ping and of one held for approval, once: where link-backs are
    checked, by the check, after it decides. Accepted pings and refusals go to
    the activity log (refusals bounded: see _record_refusal)."""
    remote_ip = normalize_address(incoming.remote_ip or "")
    fields = incoming.fields()
    try:
        return _receive(store, config, incoming, fields, remote_ip)
    except PingRejected as refusal:
        _record_refusal(store, config, refusal, fields, remote_ip)
        raise


def _receive(store, config, incoming, fields, remote_ip):
    tb_id_text, passphrase = incoming.target, incoming.passphrase
    if not tb_id_text:
        raise PingRejected("Need a TrackBack ID (tb_id).")
    raw_url = fields.get("url") or ""
    if not raw_url.strip():
        raise PingRejected("Need a Source URL (url).")
    if url_too_long(raw_url.strip()):
        raise PingRejected("The Source URL (url) is longer than %d characters." % URL_LIMIT)
    url = normalize_url(raw_url)
    if url is None:
        raise PingRejected("Invalid URL '%s'" % raw_url)
    # One transaction, BEGIN IMMEDIATE: the checks (duplicates, throttles, the
    # counts the verdict reads) cannot race with another process's ping, and
    # the ping is judged before it is written, so one INSERT stores it with its
    # verdict (tests/test_ping_cost.py counts the statements).
    with store.transaction():
        item, blog, entry = _find_item(store, tb_id_text)
        now = dates.utc_now()
        if item.is_disabled or rules.pings_closed(blog, entry, now):
            raise PingRejected("This TrackBack item is disabled.", blog_id=blog.id)
        if not getattr(blog, "accept_" + incoming.protocol):
            raise PingRejected("This weblog takes no %s." % _plural(incoming.protocol), blog_id=blog.id)
        if item.passphrase and passphrase != item.passphrase:
            raise PingRejected("This TrackBack item is protected by a passphrase.", blog_id=blog.id)
        if blog.own_links == "ignore" and _from_own_weblog(store, url):
            return None, []      # a link from one of this installation's weblogs: not kept, by the owner's choice
        if ip_is_banned(remote_ip, [ban.ip for ban in store.find(IPBan, blog_id=blog.id)]):
            raise PingRejected("You are not allowed to send TrackBack pings.", blog_id=blog.id)
        over_limit = _check_throttle(store, config, blog, remote_ip)
        earlier = store.find_ping(item.id, url)
        if earlier is not None:
            return _repeated(store, incoming, earlier, now)
        values = ping_fields(dict(fields, url=url))
        # A Pingback or Webmention says no more than its source: shown only
        # once that is read and links here (mtpy.actions.linkback).
        checks_linkback = (blog.linkback_check != "off" or incoming.protocol != "trackback") and not over_limit
        ping = Ping(blog_id=blog.id, tb_id=item.id, source_url=url, ip=remote_ip, created_on=now,
                    protocol=incoming.protocol, target_url=incoming.target_url, **values)
        score, reasons = judge(store, blog, ping, stored=False)
        moderated = moderation_holds(blog, score)
        ping.junk_score, ping.junk_reasons, ping.junk = score, reasons, is_junk(score)
        ping.visible = not (ping.junk or over_limit or checks_linkback or moderated)
        if ping.junk and _over_junk_limit(store, config, blog):
            return None, []      # answered success all the same, as junk is
        store.insert(ping)
        activity.record(store, "ping", _activity_line(ping, over_limit, moderated, checks_linkback, incoming.protocol),
                        blog.id, ip=remote_ip)
        if ping.junk or over_limit:
            return ping, []      # nothing shows it until the owner releases it
        job_ids = pings_changed(store, config, blog, [item.id], new_ping=ping, items=[item]) if ping.visible else []
        if checks_linkback:      # it publishes, junks or keeps holding the ping, then mails
            job_ids.append(store.enqueue("check_linkback", {"ping_id": ping.id}).id)
        elif blog.email_new_pings:
            job_ids.append(store.enqueue("notify_ping", {"ping_id": ping.id}).id)
    return ping, job_ids


def _repeated(store, incoming, earlier, now):
    """The same source on the same item again: nothing for TrackBack (MT
    answered success), fault 48 for Pingback, and for Webmention an update:
    its source is read again, and the check changes or withdraws it (one
    its check junked for lacking the link too: the sender may have added it)."""
    if incoming.protocol == "pingback":
        raise AlreadyRegistered("The pingback from %s has already been registered." % earlier.source_url)
    if incoming.protocol != "webmention":
        return None, []
    from mtpy.actions.linkback import junked_by_check     # here: TrackBack's path never loads the check
    if earlier.junk and not junked_by_check(earlier):
        return None, []
    earlier.updated_on = now
    if incoming.target_url:
        earlier.target_url = incoming.target_url
    store.update(earlier)
    return earlier, [store.enqueue("check_linkback", {"ping_id": earlier.id}).id]


def _from_own_weblog(store, url):
    """Whether `url` is a page of one of this installation's weblogs (asked
    only of a weblog that ignores such links: mtpy.urls is not otherwise on
    TrackBack's path)."""
    from mtpy.urls import own_weblog
    return own_weblog(url, store.find(Blog)) is not None


def _plural(protocol):
    return {"trackback": "TrackBack pings"}.get(protocol, PROTOCOL_NAMES[protocol] + "s")


def find_target(store, target_url):
    """The TrackBack item of the page of ours a Pingback or Webmention names:
    an entry's permalink (`.../000123.html`), or a category's archive page
    (`.../cat_label.html`), in any spelling of its address that
    mtpy.urls.same_address accepts. Returns the item's id; raises
    TargetNotFound when no weblog here has that page, and TargetClosed when it
    does not take pings (the item disabled, the weblog's pings off)."""
    from mtpy.urls import address_spelling, category_archive_url, entry_permalink, same_address
    spelled = address_spelling(target_url)
    name = spelled[2].rpartition("/")[2] if spelled else ""
    page = item = blog = None
    if name.endswith(".html") and name[:-5].isdigit():
        entry = store.get(Entry, int(name[:-5]))
        blog = store.get(Blog, entry.blog_id) if entry is not None and entry.status == "Publish" else None
        if blog is not None and same_address(target_url, entry_permalink(blog, entry)):
            page, item = entry, store.trackback_for(entry=entry)
    elif name.startswith("cat_"):
        for blog in store.find(Blog):
            found = [category for category in store.find(Category, blog_id=blog.id)
                     if same_address(target_url, category_archive_url(blog, category))]
            if found:
                page, item = found[0], store.trackback_for(category=found[0])
                break
    if page is None:
        raise TargetNotFound("The specified target URL does not exist on this weblog.")
    if item is None or item.is_disabled or not blog.accept_pings:
        raise TargetClosed("The specified target URL cannot be used as a target: it takes no pings.")
    return item.id


class TargetNotFound(PingRejected):
    """No weblog here has the page (Pingback's fault 32, Webmention's 400)."""


class TargetClosed(PingRejected):
    """The page is here but takes no pings (Pingback's fault 33, Webmention's 400)."""


def pings_closed(store, blog, item, now=None):
    """trackback.rules.pings_closed for an item (`now`: stored UTC, default the clock)."""
    entry = store.get(Entry, item.entry_id) if item.entry_id is not None else None
    return rules.pings_closed(blog, entry, now or dates.utc_now())


def _activity_line(ping, over_limit, moderated, checks_linkback, protocol):
    """"Ping from URL: title", "Held ping from URL: title (why)", or "Junk
    ping from URL: reasons"; "Ping (Webmention) from..." for another protocol
    than TrackBack."""
    reasons = "; ".join(ping.junk_reasons)
    via = "" if protocol == "trackback" else " (%s)" % PROTOCOL_NAMES[protocol]
    if ping.junk:
        return "Junk ping%s from %s: %s" % (via, ping.source_url, reasons)
    line = "%s%s from %s%s" % ("Ping" if ping.visible else "Held ping", via, ping.source_url,
                               ": " + ping.title if ping.title else "")
    why = [reasons] if reasons else []
    if over_limit:
        why.append("beyond the weblog's limits")
    elif moderated and not reasons:
        why.append("every ping awaits approval")
    elif checks_linkback and not ping.visible:
        why.append("awaiting its link-back check")
    return line + (" (%s)" % "; ".join(why) if why else "")


REFUSALS_KEPT_SECONDS = 3600


def _record_refusal(store, config, refusal, fields, remote_ip):
    """Log a refused ping, at most once an hour per sender address: a flood of
    refused pings (over a throttle, banned, malformed) adds one line an hour,
    not one per ping. A log that cannot be written refuses nothing more."""
    try:
        with store.transaction():
            since = dates.utc_now(-REFUSALS_KEPT_SECONDS)
            if store.count_activity_since("ping_refused", since, ip=remote_ip):
                return
            url = (fields.get("url") or "").strip()[:URL_LIMIT]
            activity.record(store, "ping_refused", "%s%s" % (refusal.message, " (from %s)" % url if url else ""),
                            refusal.blog_id, ip=remote_ip)
    except Exception as error:
        from mtpy import web
        web.log_error(config.get("LogFile"), "A refused ping could not be logged: %s" % error)


THROTTLE_MESSAGE = "You are pinging trackbacks too quickly. Please try again later."


PER_ADDRESS = (("OneHourMaxPingsPerIP", 3600), ("OneDayMaxPingsPerIP", 86400))
PER_WEBLOG = (("OneHourMaxPings", 3600), ("OneDayMaxPings", 86400))


def _check_throttle(store, config, blog, remote_ip):
    """The limits per sender first (an address; for IPv6 its /64, whose host
    may take a new address for each ping), then the weblog's (MT's
    OneHourMaxPings, OneDayMaxPings): pings stored in the last hour or day, held
    ones included. A sender's junk counts against it; the weblog's limits count
    the pings that are not junk, so spam from many addresses cannot use them up
    and lock clean pings out (junk has its own: _over_junk_limit). Over a
    limit: 403 with Retry-After, except that a weblog holding pings beyond its
    own limits (hold_over_limit) takes the ping to hold: returns True then."""
    for directive, seconds in PER_ADDRESS:
        limit = config.get(directive)
        if limit and store.count_pings_since(blog.id, dates.utc_now(-seconds), ip=remote_ip, at_most=limit) >= limit:
            raise PingRejected(THROTTLE_MESSAGE, "403 Forbidden", [("Retry-After", str(seconds))], blog.id)
    for directive, seconds in PER_WEBLOG:
        limit = config.get(directive)
        if limit and store.count_pings_since(blog.id, dates.utc_now(-seconds), junk=False, at_most=limit) >= limit:
            if blog.hold_over_limit:
                return True
            raise PingRejected(THROTTLE_MESSAGE, "403 Forbidden", [("Retry-After", str(seconds))], blog.id)
    return False


def _over_junk_limit(store, config, blog):
    """True when the weblog already stored as much junk in the last hour or
    day as its limits allow clean pings: junk is counted apart, and what comes
    beyond is not kept (asked before the junk ping is stored)."""
    for directive, seconds in PER_WEBLOG:
        limit = config.get(directive)
        if limit and store.count_pings_since(blog.id, dates.utc_now(-seconds), junk=True, at_most=limit) >= limit:
            return True
    return False
