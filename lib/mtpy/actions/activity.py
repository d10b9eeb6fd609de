"""The activity log (mt.cgi's "Activity Log"): what happened, who did it, from where."""

from mtpy import dates
from mtpy.models import Activity

# kind -> what the log screen calls it
KINDS = {
    "login": "Logged in",
    "login_failed": "Failed login",
    "logout": "Logged out",
    "ping": "Ping received",
    "ping_refused": "Ping refused",
    "ban": "Address banned",
    "unban": "Ban removed",
    "delete": "Deleted",
    "rebuild": "Rebuilt",
    "import": "Imported",
    "settings": "Settings changed",
    "update_ping": "Update ping",
    "notified": "Linked page told",
    "author": "Authors changed",
    "release": "Pings approved",
    "junk": "Pings marked as junk",
    "unjunk": "Pings marked as not junk",
    "upgrade": "Upgraded",
    "work_failed": "Mail or ping failed",
    "reset_asked": "New password asked",
    "reset_mailed": "Reset link mailed",
    "password_reset": "Password reset",
}
# Kinds whose message names an address (the one banned): an author who is not a
# system administrator sees no one's address, in the message or beside it.
NAMING_AN_ADDRESS = ("ban", "unban")


def record(store, kind, message, blog_id=None, author=None, ip="", author_name=None):
    """Add one line to the log; returns the Activity."""
    if kind not in KINDS:
        raise ValueError("unknown activity kind %r" % kind)
    entry = Activity(blog_id=blog_id, author_id=author.id if author is not None else None, kind=kind,
                     author_name=author_name if author_name is not None else (author.name if author else ""),
                     ip=ip or "", message=message, created_on=dates.utc_now())
    store.insert(entry)
    return entry
