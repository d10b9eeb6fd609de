"""Pings of every protocol, kind and state put straight into a site's store:
what the owner's screens, the command line, the mail and export show of them."""

from mtpy.models import Ping

# (title, protocol, kind, state fields, author fields), oldest first.
MIXED = [
    ("A TrackBack ping", "trackback", "mention", {}, {}),
    ("A WordPress post", "pingback", "mention", {}, {}),
    ("Ana replies", "webmention", "reply", {},
     {"author_name": "Ana <script>alert(1)</script> & Co", "author_url": "http://ana.example/",
      "author_photo": "http://ana.example/me.jpg"}),
    ("Bo likes it", "webmention", "like", {"visible": False}, {"author_name": "Bo"}),
    ("A page since deleted", "webmention", "mention", {"visible": False, "withdrawn": True},
     {"author_name": "Cy"}),
    ("Casino pingback", "pingback", "mention", {"visible": False, "junk": True, "junk_score": 3.0}, {}),
]


def add_mixed_pings(site, item=None):
    """The MIXED pings on the site's entry (or `item`), in the store; returns them."""
    store = site.store()
    item = item or site.item
    pings = []
    try:
        for number, (title, protocol, kind, state, author) in enumerate(MIXED):
            ping = Ping(blog_id=site.blog.id, tb_id=item.id, title=title, protocol=protocol, kind=kind,
                        source_url="http://s%d.example/post" % number, ip="198.51.100.%d" % (number + 1),
                        blog_name="Weblog %d" % number, excerpt="Text %d" % number,
                        created_on="2026-11-2%d 08:00:00" % number,
                        target_url="" if protocol == "trackback" else site.base + "archives/000001.html",
                        **dict(state, **author))
            store.insert(ping)
            pings.append(ping)
    finally:
        store.close()
    return pings
