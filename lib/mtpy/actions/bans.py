"""IP bans: addresses, MT-style IPv4 prefixes ("192.168.") and CIDR ranges that
may not ping a weblog."""

from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.models import IPBan


def add_ban(store, blog, address, author=None, ip=""):
    """Ban `address` from pinging `blog`; an existing ban is left as it is
    (nothing changed). `ip`: where the request came from, for the log."""
    from mtpy.addresses import ban_problem
    address = (address or "").strip()
    problem = ban_problem(address)
    if problem:
        raise ActionError(problem, "address")
    with store.transaction():
        if any(ban.ip == address for ban in store.find(IPBan, blog_id=blog.id)):
            return Done()
        ban = IPBan(blog_id=blog.id, ip=address)
        store.insert(ban)
        record(store, "ban", "Banned %s" % address, blog.id, author, ip)
    return Done(ban, ["ip"])


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
