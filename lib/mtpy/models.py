"""The stored kinds of object, as plain records.

Deliberately not dataclasses: `dataclasses` imports `inspect`, which costs more
than the rest of the ping path together. Times are UTC strings
"YYYY-MM-DD HH:MM:SS" (see mtpy.dates); lists are Python lists.
"""


class Record:
    """A record with named fields and defaults; `FIELDS` maps name -> default."""

    FIELDS = {}
    __slots__ = ()

    def __init__(self, **values):
        for name, default in self.FIELDS.items():
            value = values.pop(name, default)
            if isinstance(value, (list, dict)):
                value = type(value)(value)  # never share a mutable default
            setattr(self, name, value)
        if values:
            raise TypeError("%s has no field %s" % (type(self).__name__, ", ".join(sorted(values))))

    def as_dict(self):
        return {name: getattr(self, name) for name in self.FIELDS}

    def copy(self, **changes):
        values = self.as_dict()
        values.update(changes)
        return type(self)(**values)

    def __eq__(self, other):
        return type(other) is type(self) and other.as_dict() == self.as_dict()

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % item for item in self.as_dict().items()))


def _record(name, fields, doc):
    return type(name, (Record,), {"FIELDS": fields, "__slots__": tuple(fields), "__doc__": doc})


Blog = _record("Blog", {
    "id": None, "name": "", "description": "",
    "site_path": "", "site_url": "", "archive_path": "", "archive_url": "",
    "timezone": 0.0,            # offset from UTC in hours, e.g. -3.5
    "email_new_pings": True,    # mail the author on each accepted ping
    "allow_pings_default": True,  # new entries accept pings
    # Beyond OneHourMaxPings/OneDayMaxPings: hold pings for approval (stored
    # hidden, released with `mtpy ping release`) instead of refusing them.
    "hold_over_limit": False,
    # Saving an entry fetches the pages it links to and adds the TrackBack
    # ping URLs they announce to its URLs to Ping (mtpy.actions.discovery).
    "autodiscover_links": False,
    # Services told of each published entry by weblogUpdates.ping (XML-RPC).
    "update_ping_urls": [],
    # Spam defences (mtpy.junk, mtpy.actions.linkback): which new
    # pings wait for approval ("none", "all", or "suspicious": those the checks
    # score), what a ping whose source does not link back becomes ("off": not
    # checked, "junk", "hold"), the owner's block list (words and domains).
    "moderate_pings": "none",
    "linkback_check": "off",
    "junk_words": [],
    "accept_pings": True,        # off: no entry or category of the weblog takes pings
    "close_pings_after_days": 0,  # entries older than this take no pings; 0: never closed
    # Each protocol that brings links in can be switched off on its own
    # (accept_pings off closes all three).
    "accept_trackback": True, "accept_pingback": True, "accept_webmention": True,
    # A link from a page of one of this installation's weblogs: "quiet" (shown,
    # never held, never mailed about), "normal" (as any other), "ignore" (not kept).
    "own_links": "quiet",
}, "A weblog.")

Author = _record("Author", {
    "id": None, "name": "", "email": "", "password_hash": "",
    "is_admin": False,          # a system administrator: every weblog, authors, new weblogs
    # A password reset asked for by e-mail: SHA-256 of the link's single-use
    # token (the store never holds the token itself) and when it expires (UTC).
    "reset_hash": "", "reset_expires": "",
}, "Someone who writes entries; receives the ping notifications of their entries.")

Permission = _record("Permission", {
    "id": None, "author_id": None, "blog_id": None,
    "can": [],                  # names from mtpy.actions.authors.PERMISSIONS
}, "What one author may do in one weblog (a system administrator may do everything).")

Session = _record("Session", {
    "id": None, "author_id": None,
    "token_hash": "",           # SHA-256 of the cookie's token: the store never holds the token itself
    "created_on": "", "seen_on": "",   # UTC
}, "A logged-in browser (mt.cgi); ended by logging out or a password change.")

Activity = _record("Activity", {
    "id": None, "blog_id": None, "author_id": None,
    "kind": "",                 # one of mtpy.actions.activity.KINDS
    "author_name": "",          # the name typed at a failed login; the author's name otherwise
    "ip": "", "message": "",
    "created_on": "",           # UTC
}, "One line of the activity log: logins, pings received and refused, bans, deletions, rebuilds.")

Entry = _record("Entry", {
    "id": None, "blog_id": None, "author_id": None,
    "title": "", "body": "", "extended": "", "excerpt": "", "keywords": "",
    "basename": "", "status": "Publish",   # "Publish" or "Draft"
    "created_on": "",                      # UTC
    "allow_pings": True, "allow_comments": False, "convert_breaks": "1",
    "to_ping_urls": [], "pinged_urls": [],
    "category_ids": [],                    # the primary category first
    "comments": [],                        # kept from imports: list of dicts
    # Outbound pings not yet delivered: url -> {"error": why, "when": UTC,
    # "attempts": n, "protocol", "final": true when only the owner's retry
    # sends it} after a failure (the URL stays to ping), "sending_since": UTC
    # while a job sends it; a linked page waiting for a Webmention or Pingback
    # is kept here under its own URL with its "protocol" and "endpoint"
    # (mtpy.actions.sending).
    "ping_failures": {},
    # The pages this entry linked to and was told about by Pingback or
    # Webmention: page URL -> {"protocol", "endpoint", "when"}; an edit or a
    # deletion tells each of them again (a link since removed included).
    "notified_links": {},
}, "A weblog entry.")

Category = _record("Category", {
    "id": None, "blog_id": None, "author_id": None,
    "label": "", "description": "", "allow_pings": False, "passphrase": "",
    "ping_urls": [],                       # outbound: every entry posted here pings them
}, "A category of entries; may receive pings of its own.")

Trackback = _record("Trackback", {
    "id": None, "blog_id": None, "entry_id": None, "category_id": None,
    "title": "", "description": "", "url": "", "passphrase": "",
    "is_disabled": False,
}, "Something that receives pings: exactly one of entry_id / category_id is set.")

Ping = _record("Ping", {
    "id": None, "blog_id": None, "tb_id": None,
    "title": "", "excerpt": "", "source_url": "", "ip": "", "blog_name": "",
    "created_on": "",                      # UTC
    "visible": True,                       # shown in public; a held or junk ping is not
    "junk": False,                         # judged spam (by the checks or the owner); never visible
    "junk_score": 0.0,                     # what the checks found, and why (mtpy.junk)
    "junk_reasons": [],
    # The source page's link back to the pinged entry: {} not checked yet, else
    # {"state": "ok" | "missing" | "unreachable", "reason": words, "when": UTC}.
    "linkback": {},
    # How it came: "trackback", "pingback" or "webmention" (PROTOCOLS); what it
    # is, as the source's microformats say: "mention", "reply", "like",
    # "repost" or "bookmark" (KINDS); the page of ours it named (Pingback's and
    # Webmention's target; "" for TrackBack); who wrote it, as the source says.
    "protocol": "trackback",
    "kind": "mention",
    "target_url": "",
    "author_name": "", "author_url": "", "author_photo": "",
    "updated_on": "",                      # UTC: when the same source told us again
    # The source now answers 410 Gone or no longer links here: kept for the
    # owner, never shown again.
    "withdrawn": False,
}, "A notification that a page links to an entry or category: a TrackBack ping, a Pingback or a Webmention.")

PROTOCOLS = ("trackback", "pingback", "webmention")
PROTOCOL_NAMES = {"trackback": "TrackBack", "pingback": "Pingback", "webmention": "Webmention"}
KINDS = ("mention", "reply", "like", "repost", "bookmark")
KIND_NAMES = {"mention": "Mention", "reply": "Reply", "like": "Like", "repost": "Repost", "bookmark": "Bookmark"}

IPBan = _record("IPBan", {
    "id": None, "blog_id": None, "ip": "",
    "note": "",                 # why it was added, in the owner's words (or the rule's)
    "created_on": "",           # UTC; "" for bans added before schema 11
    "author_id": None,          # who added it; None: a rule, an import or `mtpy`
}, "An address, MT-style prefix ('192.168.') or CIDR range that may not ping a blog.")

Job = _record("Job", {
    "id": None, "kind": "", "payload": {}, "created_on": "", "attempts": 0,
    "not_before": "", "last_error": "",
}, "Deferred work (mail, rebuilds) kept in the store until done.")
