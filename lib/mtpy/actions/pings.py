"""Received pings: approving held or junk ones, marking them junk or not junk
(which teaches or unteaches the weblog's block list), deleting them, banning
their senders; and the one rule of what follows any change of an item's pings
(pings_changed).

On the ping path (receive() calls pings_changed): module-level imports stay
as cheap as mtpy.models'; anything heavier is imported where it is used.
"""

from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.models import Blog, Ping, Trackback
from mtpy.publish import feed_folder, republish_waiting
from mtpy.text import counted


def pings_changed(store, config, blog, item_ids, new_ping=None, items=None):
    """After the pings of these TrackBack items changed (inside the caller's
    transaction): rewrite each item's ID.xml feed in that transaction, just
    before it commits, and queue the `republish_pings` jobs that republish
    the pages showing their pings or counts and render their listing popups
    ahead. Returns the queued job ids. `items`: the Trackback records of
    `item_ids`, where the caller has them already (a received ping's).

    `new_ping`: the ping just received. Its job carries the ping's id (a
    republish that already showed it does nothing), and none is queued while
    one for the same subject waits unclaimed: that one will read this ping too,
    so a flood costs a few republishes rather than one per ping."""
    if items is None:
        items = [item for item in (store.get(Trackback, item_id) for item_id in sorted(set(item_ids)))
                 if item is not None]
    if config.get("GenerateTrackBackRSS") and feed_folder(blog):
        for item in items:
            store.before_commit(("feed", item.id), lambda item=item: _write_feed(store, config, blog, item),
                                lambda item=item: _feed_not_committed(config, blog, item))
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


def _write_feed(store, config, blog, item):
    """In the transaction that changed the item's pings, under its lock, just
    before its commit: concurrent writers write the feed in the order they
    commit, so the last one written is never an older list, and the ping
    costs no second transaction. A feed that cannot be written fails nothing:
    the pings are stored, the feed waits for the next writer."""
    from mtpy.store import StoreError
    from mtpy.publish.feeds import note_unwritten, write_feed
    try:
        write_feed(store, config, blog, item)
    except (OSError, StoreError) as error:
        note_unwritten(config, blog, item, error)


# Why a withdrawn ping is hidden, in the owner's words.
WITHDRAWN = "withdrawn: the source is gone or no longer links here"


def listed_state(ping):
    """mtpy.junk.ping_state, but a hidden ping withdrawn by its source (gone,
    or no longer linking) is "withdrawn" rather than held, unless it is junk."""
    from mtpy.junk import ping_state
    state = ping_state(ping)
    return "withdrawn" if state == "held" and ping.withdrawn else state


def _feed_not_committed(config, blog, item):
    """The feed was written but the commit failed: it may list a ping never
    stored, so it is listed to be written again (by the next ping or rebuild)."""
    from mtpy.publish.feeds import note_unwritten
    try:
        note_unwritten(config, blog, item, "the store did not commit the change it shows")
    except Exception:
        pass    # the commit's own error is what the caller sees


def approve_pings(store, config, blog, ping_ids, author=None, ip=""):
    """Publish held or junk pings (visible, no longer junk); all or none: a
    ping already published is refused, and so is a withdrawn one (its source
    is gone or no longer links: never shown again). A Pingback or Webmention
    whose source was never read (held beyond the weblog's limits) is shown
    once its check finds the link: approving queues that check."""
    checks = []

    def unread(ping):
        return ping.protocol != "trackback" and not ping.linkback

    def approve(ping):
        if unread(ping):
            store.update(ping.copy(junk=False))
            checks.append(store.enqueue("check_linkback", {"ping_id": ping.id, "approved": 1}).id)
        else:
            store.update(ping.copy(visible=True, junk=False))
    done = _change(store, config, blog, ping_ids, _not_published, approve, shows=lambda ping: not unread(ping),
                   kind="release", done="Approved %s", undone="nothing approved", author=author, ip=ip)
    done.job_ids = done.job_ids + checks
    return done


def junk_pings(store, config, blog, ping_ids, author=None, ip=""):
    """Mark pings junk (hidden); all or none: a ping already junk is refused.
    The weblog's block list learns each source's domain unless it, or a parent
    domain, is listed already. Returns Done(the domains added, ping ids, jobs):
    what unjunk_pings takes away again."""
    from mtpy.junk import domain_listed
    added = []

    def learn(pings, words):
        for ping in pings:
            domain = source_domain(ping)
            if domain and not domain_listed(domain, words + added):
                added.append(domain)
        return words + added, "block list learnt: " + ", ".join(added) if added else ""

    def junk(ping):
        store.update(ping.copy(visible=False, junk=True))
    done = _change(store, config, blog, ping_ids, _not_junk, junk, shows=lambda ping: ping.visible,
                   kind="junk", done="Marked %s as junk", undone="nothing marked junk", author=author, ip=ip,
                   block_list=learn)
    done.record = added
    return done


def unjunk_pings(store, config, blog, ping_ids, publish=False, author=None, ip=""):
    """Mark junk pings not junk: held for approval, or published with
    `publish` (but one its source withdrew: never shown again); all or none:
    a ping that is not junk is refused. Each source's
    domain leaves the weblog's block list (junk_pings' undo); a parent domain
    the owner listed stays, and so do words. Returns Done(the domains
    removed, ping ids, jobs)."""
    removed = []

    def unlearn(pings, words):
        domains = {source_domain(ping) for ping in pings} - {""}
        removed.extend(word for word in words if word in domains)
        kept = [word for word in words if word not in domains]
        return kept, "block list forgot: " + ", ".join(removed) if removed else ""

    def unjunk(ping):       # one its source withdrew stays hidden, published or not
        store.update(ping.copy(visible=bool(publish) and not ping.withdrawn, junk=False))
    done = _change(store, config, blog, ping_ids, _junk_only, unjunk, shows=lambda ping: bool(publish),
                   kind="unjunk", done="Marked %%s as not junk, %s" % ("published" if publish else "held"),
                   undone="nothing changed", author=author, ip=ip, block_list=unlearn)
    done.record = removed
    return done


def delete_pings(store, config, blog, ping_ids, author=None, ip=""):
    """Delete pings of `blog`; all or none (an unknown id changes nothing)."""
    def delete(ping):
        store.delete(Ping, ping.id)
    return _change(store, config, blog, ping_ids, None, delete, shows=lambda ping: ping.visible,
                   kind="delete", done="Deleted %s", undone="nothing deleted", author=author, ip=ip)


def delete_junk_older_than(store, config, blog, days, author=None, ip=""):
    """Delete the weblog's junk pings received more than `days` days ago
    (whole days, 1 or more); returns how many. Junk is never shown, so no
    page changes."""
    from mtpy import dates
    try:
        days = int(str(days).strip())
    except ValueError:
        raise ActionError("A number of days, 1 or more: not %r" % (days,), "days")
    if not 1 <= days <= 36500:
        raise ActionError("A number of days from 1 to 36500", "days")
    before = dates.days_before(dates.utc_now(), days)
    with store.transaction():
        doomed = [ping for ping in store.find(Ping, blog_id=blog.id, junk=True)
                  if not ping.visible and ping.created_on < before]
        for ping in doomed:
            store.delete(Ping, ping.id)
        if doomed:
            record(store, "delete", "Deleted %s older than %s" % (counted(len(doomed), "junk ping"), counted(days, "day")),
                   blog.id, author, ip)
    return len(doomed)


def ban_sender(store, blog, ping, author=None, ip=""):
    """Ban the address a ping came from, in the ping's weblog; the ban's note
    names the ping (the IP Banning screen says why the address is there)."""
    from mtpy.actions.bans import add_ban
    if not ping.ip:
        raise ActionError("Ping %d has no sender address to ban" % ping.id, "ping_ids")
    what = ping.title or ping.source_url or "ping %d" % ping.id
    return add_ban(store, blog, ping.ip, author, ip, note="Sent the ping \u201c%s\u201d" % what[:200])


def source_domain(ping):
    """The host of a ping's source as a block-list domain, or "": a name
    without a dot (localhost) would be a word there, matched in any text."""
    from mtpy.junk import source_host
    host = source_host(ping.source_url)
    return host if "." in host or ":" in host else ""


# Why a ping cannot take a change (None: it can).
def _not_published(ping):
    if ping.visible:
        return "is published already"
    return "is " + WITHDRAWN if ping.withdrawn else None


def _not_junk(ping):
    from mtpy.junk import ping_state
    return "is junk already" if ping_state(ping) == "junk" else None


def _junk_only(ping):
    from mtpy.junk import ping_state
    return None if ping_state(ping) == "junk" else "is not junk"


def _change(store, config, blog, ping_ids, refuse, change, shows, kind, done, undone, author, ip,
            block_list=None):
    """Change some of a weblog's pings in one transaction, once all are found
    and none is refused (`refuse(ping)` -> why not, or None). What showed or
    will show a ping (`shows(ping)`, asked before the change) follows.
    `block_list(pings, words)` -> (the weblog's new block list, what changed
    in words for the log, "" for nothing) changes it in the same transaction."""
    with store.transaction():
        pings = []
        for ping_id in ping_ids:
            ping = store.get(Ping, ping_id)
            if ping is None or ping.blog_id != blog.id:
                raise ActionError("No ping %d in weblog %d (%s)" % (ping_id, blog.id, undone), "ping_ids")
            why = refuse(ping) if refuse is not None else None
            if why:
                raise ActionError("Ping %d %s (%s)" % (ping.id, why, undone), "ping_ids")
            pings.append(ping)
        shown = [ping.tb_id for ping in pings if shows(ping)]
        for ping in pings:
            change(ping)
        message = "%s: %s" % (done % counted(len(pings), "ping"), _sources(pings))
        if block_list is not None:
            stored = store.get(Blog, blog.id)
            words, changed = block_list(pings, list(stored.junk_words))
            if changed:
                store.update(stored.copy(junk_words=words))
                message += "; " + changed
        job_ids = pings_changed(store, config, blog, shown) if shown else []
        record(store, kind, message, blog.id, author, ip)
    return Done(None, [ping.id for ping in pings], job_ids)


def _sources(pings, shown=10):
    """The pings' source URLs for the log, the first few of a long list."""
    urls = [ping.source_url for ping in pings]
    more = len(urls) - shown
    return ", ".join(urls[:shown]) + (" and %d more" % more if more > 0 else "")


