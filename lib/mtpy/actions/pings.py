"""Received pings: deleting, releasing held ones, banning their senders; and
the one rule of what follows any change of an item's pings (pings_changed).

On the ping path (receive() calls pings_changed): module-level imports stay
as cheap as mtpy.models'; anything heavier is imported where it is used.
"""

from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.models import Ping, Trackback


def pings_changed(store, config, blog, item_ids, new_ping=None):
    """After the pings of these TrackBack items changed (inside the caller's
    transaction): rewrite each item's ID.xml feed, and queue the
    `republish_pings` jobs that republish the pages showing their pings or
    counts and render their listing popups ahead. Returns the queued job ids.

    `new_ping`: the ping just received. Its job carries the ping's id (a
    republish that already showed it does nothing), and none is queued while
    one for the same subject waits unclaimed: that one will read this ping too,
    so a flood costs a few republishes rather than one per ping."""
    items = [item for item in (store.get(Trackback, item_id) for item_id in sorted(set(item_ids)))
             if item is not None]
    if config.get("GenerateTrackBackRSS"):   # a feed that cannot be written fails nothing
        from mtpy.trackback.feeds import write_feed
        for item in items:
            write_feed(store, config, blog, item)
    job_ids = []
    if not blog.site_path:
        return job_ids
    for item in items:
        subject = {"entry_id": item.entry_id} if item.entry_id is not None else {"category_id": item.category_id}
        if new_ping is not None:
            if republish_waiting(store, subject):
                continue
            subject["ping_id"] = new_ping.id
        job_ids.append(store.enqueue("republish_pings", subject).id)
    return job_ids


def republish_waiting(store, subject):
    """True when a republish of this entry or category (`subject`: entry_id or
    category_id) is queued, not yet claimed, and recent: it will read the pings
    once claimed, after the caller's transaction, so a ping stored in that
    transaction needs no job of its own. (Claims and pings are both store
    transactions, so one is wholly before the other.) An unclaimed job older
    than WAITING_SECONDS is one whose process died: it does not count."""
    from mtpy import dates
    since = dates.utc_now(-WAITING_SECONDS)
    # On the ping path: only the jobs not yet claimed (failed mail kept for
    # `mtpy work --list` is not read on every ping).
    from mtpy.models import Job
    for job in store.find(Job, attempts=0):
        if (job.kind == "republish_pings" and job.created_on >= since
                and all(job.payload.get(key) == value for key, value in subject.items())):
            return True
    return False


WAITING_SECONDS = 10


def delete_pings(store, config, blog, ping_ids, author=None, ip=""):
    """Delete pings of `blog`; all or none (an unknown id changes nothing)."""
    def delete(ping):
        store.delete(Ping, ping.id)
    return _change(store, config, blog, ping_ids, delete, "delete", "Deleted", "nothing deleted", author, ip)


def release_pings(store, config, blog, ping_ids, author=None, ip=""):
    """Show held pings (stored hidden beyond the weblog's limits); all or none."""
    def release(ping):
        store.update(ping.copy(visible=True))
    return _change(store, config, blog, ping_ids, release, "release", "Released", "nothing released", author, ip,
                   held_only=True)


def ban_sender(store, blog, ping, author=None, ip=""):
    """Ban the address a ping came from, in the ping's weblog."""
    from mtpy.actions.bans import add_ban
    if not ping.ip:
        raise ActionError("Ping %d has no sender address to ban" % ping.id, "ping_ids")
    return add_ban(store, blog, ping.ip, author, ip)


def _change(store, config, blog, ping_ids, change, kind, done, undone, author, ip, held_only=False):
    """Change some of a weblog's pings in one transaction, once all are found
    (and held, with `held_only`); what shows them follows."""
    with store.transaction():
        pings = []
        for ping_id in ping_ids:
            ping = store.get(Ping, ping_id)
            if ping is None or ping.blog_id != blog.id:
                raise ActionError("No ping %d in weblog %d (%s)" % (ping_id, blog.id, undone), "ping_ids")
            if held_only and ping.visible:
                raise ActionError("Ping %d is not held (%s)" % (ping.id, undone), "ping_ids")
            pings.append(ping)
        for ping in pings:
            change(ping)
        job_ids = pings_changed(store, config, blog, [ping.tb_id for ping in pings])
        record(store, kind, "%s %d ping(s): %s" % (done, len(pings), ", ".join(
            ping.source_url for ping in pings)), blog.id, author, ip)
    return Done(None, [ping.id for ping in pings], job_ids)
