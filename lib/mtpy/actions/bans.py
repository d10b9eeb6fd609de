"""IP bans: addresses, MT-style IPv4 prefixes ("192.168.") and CIDR ranges that
may not ping a weblog."""

from mtpy import dates
from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.models import IPBan


MAX_NOTE = 500


def add_ban(store, blog, address, author=None, ip="", note="", now=None):
    """Ban `address` from pinging `blog`, noting why (`note`, the owner's
    words), when (`now`, stored UTC; default: the clock) and who (`author`;
    None: `mtpy` or a rule). An existing ban is left as it is (nothing
    changed). `ip`: where the request came from, for the log."""
    from mtpy.addresses import ban_problem
    address = (address or "").strip()
    problem = ban_problem(address)
    if problem:
        raise ActionError(problem, "address")
    note = " ".join((note or "").split())          # one line: it is shown in a table cell and a log line
    if len(note) > MAX_NOTE:
        raise ActionError("A note is at most %d characters." % MAX_NOTE, "note")
    with store.transaction():
        if any(ban.ip == address for ban in store.find(IPBan, blog_id=blog.id)):
            return Done()
        ban = IPBan(blog_id=blog.id, ip=address, note=note, created_on=now or dates.utc_now(),
                    author_id=author.id if author is not None else None)
        store.insert(ban)
        record(store, "ban", "Banned %s%s" % (address, ": " + note if note else ""), blog.id, author, ip)
    return Done(ban, ["ip", "note"] if note else ["ip"])


def remove_ban(store, blog, address, author=None, ip=""):
    """Lift the ban on exactly `address` (as it was added)."""
    address = (address or "").strip()
    with store.transaction():
        matching = [ban for ban in store.find(IPBan, blog_id=blog.id) if ban.ip == address]
        if not matching:
            raise ActionError("%s is not banned in weblog %d" % (address, blog.id), "address")
        for ban in matching:
            store.delete(IPBan, ban.id)
        record(store, "unban", "Lifted the ban on %s" % address, blog.id, author, ip)
    return Done(matching[0], ["ip"])
