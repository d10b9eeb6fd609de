"""Pings of every protocol, kind and state put straight into a store: what the
owner's screens, the command line, the mail and export show of them."""

from mtpy.models import Ping

# (title, protocol, kind, state fields, author and update fields), oldest first.
MIXED = [
    ("A TrackBack ping", "trackback", "mention", {}, {}),
    ("A WordPress post", "pingback", "mention", {}, {}),
    ("Ana replies", "webmention", "reply", {},
     {"author_name": "Ana <script>alert(1)</script> & Co", "author_url": "http://ana.example/",
      "author_photo": "http://ana.example/me.jpg", "updated_on": "2026-11-26 09:00:00"}),
    ("Bo likes it", "webmention", "like", {"visible": False}, {"author_name": "Bo"}),
    ("A page since deleted", "webmention", "mention", {"visible": False, "withdrawn": True},
     {"author_name": "Cy"}),
    ("Casino pingback", "pingback", "mention", {"visible": False, "junk": True, "junk_score": 3.0}, {}),
]


def mixed_pings(blog_id, tb_id, target_url):
    """The MIXED pings as records (not stored) of this item, which is the page `target_url`."""
    return [Ping(blog_id=blog_id, tb_id=tb_id, title=title, protocol=protocol, kind=kind,
                 source_url="http://s%d.example/post" % number, ip="198.51.100.%d" % (number + 1),
                 blog_name="Weblog %d" % number, excerpt="Text %d" % number,
                 created_on="2026-11-2%d 08:00:00" % number,
                 target_url="" if protocol == "trackback" else target_url, **dict(state, **more))
            for number, (title, protocol, kind, state, more) in enumerate(MIXED)]


def add_mixed_pings(site, item=None):
    """The MIXED pings on the site's entry (or `item`), in its store; returns them."""
    store = site.store()
    try:
        pings = mixed_pings(site.blog.id, (item or site.item).id, site.base + "archives/000001.html")
        for ping in pings:
            store.insert(ping)
    finally:
        store.close()
    return pings


TOLD_PAGE = "http://told.example/2026/12/a-rather-long-post-name-that-wraps/"
REFUSED_PAGE = "http://refused.example/?p=12"


def tell_and_be_refused(site):
    """The site's entry has told one page by Webmention, and one page refused
    its Pingback for good (fault 49, with markup in the receiver's words)."""
    from mtpy.models import Entry
    store = site.store()
    try:
        entry = store.get(Entry, site.entry.id)
        entry.notified_links = {TOLD_PAGE: {"protocol": "webmention", "endpoint": "http://told.example/wm",
                                            "when": "2026-12-07 10:00:00"}}
        entry.ping_failures = {REFUSED_PAGE: {
            "protocol": "pingback", "endpoint": "http://refused.example/xmlrpc.php", "final": True, "attempts": 1,
            "error": "the receiver refused access (fault 49: <b>no</b>)", "when": "2026-12-07 10:00:00"}}
        store.save(entry)
    finally:
        store.close()
