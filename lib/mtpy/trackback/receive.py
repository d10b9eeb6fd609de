"""Accepting a ping: MT 2.6's order of checks (reference §2), then store, feed, queue.

Each check that fails stores nothing and raises PingRejected with MT's message.
"""

from mtpy import dates
from mtpy.models import Blog, Category, Entry, IPBan, Ping, Trackback
from mtpy.trackback import envelope
from mtpy.trackback.rules import ip_is_banned, normalize_url, ping_fields


class PingRejected(Exception):
    def __init__(self, message, status="200 OK", headers=()):
        Exception.__init__(self, message)
        self.message = message
        self.status = status
        self.headers = list(headers)


def parse_item_id(tb_id_text):
    """The numeric item id, or None for anything else (`../../etc/passwd`)."""
    text = tb_id_text.strip()
    if text.isdigit() and text.isascii() and len(text) < 19:
        return int(text)
    return None


def find_item(store, tb_id_text):
    """The item a ping or listing may address: it exists and, for an entry, the
    entry is published. Returns (item, blog) or raises Invalid TrackBack ID."""
    item_id = parse_item_id(tb_id_text)
    item = store.get(Trackback, item_id) if item_id is not None else None
    if item is not None and item.entry_id is not None:
        entry = store.get(Entry, item.entry_id)
        if entry is None or entry.status != "Publish":
            item = None
    if item is not None and item.category_id is not None and store.get(Category, item.category_id) is None:
        item = None
    blog = store.get(Blog, item.blog_id) if item is not None else None
    if blog is None:
        raise PingRejected("Invalid TrackBack ID '%s'" % tb_id_text)
    return item, blog


def receive(store, config, tb_id_text, passphrase, fields, remote_ip):
    """Check and store one ping. Returns (the new Ping, ids of the jobs queued for
    after the response); (None, []) for a repeated (item, source url), which
    answers success and stores nothing."""
    if not tb_id_text:
        raise PingRejected("Need a TrackBack ID (tb_id).")
    raw_url = fields.get("url") or ""
    if not raw_url.strip():
        raise PingRejected("Need a Source URL (url).")
    url = normalize_url(raw_url)
    if url is None:
        raise PingRejected("Invalid URL '%s'" % raw_url)
    with store.transaction():
        item, blog = find_item(store, tb_id_text)
        if item.is_disabled:
            raise PingRejected("This TrackBack item is disabled.")
        if item.passphrase and passphrase != item.passphrase:
            raise PingRejected("This TrackBack item is protected by a passphrase.")
        if ip_is_banned(remote_ip, [ban.ip for ban in store.find(IPBan, blog_id=blog.id)]):
            raise PingRejected("You are not allowed to send TrackBack pings.")
        _check_throttle(store, config, blog)
        if store.find_ping(item.id, url) is not None:
            return None, []
        values = ping_fields(dict(fields, url=url))
        ping = Ping(blog_id=blog.id, tb_id=item.id, source_url=url, ip=remote_ip,
                    created_on=dates.utc_now(), **values)
        store.insert(ping)
        if config.get("GenerateTrackBackRSS"):
            envelope.write_feed(store, blog, item)
        job_ids = []
        if blog.site_path:   # its pages show the new count; its popup, the new ping
            subject = {"entry_id": item.entry_id} if item.entry_id is not None else {"category_id": item.category_id}
            job_ids.append(store.enqueue("republish_pings", dict(subject, ping_id=ping.id)).id)
        if blog.email_new_pings:
            job_ids.append(store.enqueue("notify_ping", {"ping_id": ping.id}).id)
    return ping, job_ids


THROTTLE_MESSAGE = "You are pinging trackbacks too quickly. Please try again later."


def _check_throttle(store, config, blog):
    for directive, seconds in (("OneHourMaxPings", 3600), ("OneDayMaxPings", 86400)):
        limit = config.get(directive)
        if limit and store.count_pings_since(blog.id, dates.utc_now(-seconds)) >= limit:
            raise PingRejected(THROTTLE_MESSAGE, "403 Forbidden", [("Retry-After", str(seconds))])
