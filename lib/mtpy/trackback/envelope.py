"""The XML documents of the TrackBack specification: the response envelope,
the RSS 0.91 listing of an item's pings, and the static `ID.xml` feed.

Everything is escaped, so the documents are well-formed whatever the ping says.
"""

from mtpy.text import escape_xml, feed_text, web_link

CONTENT_TYPE = "text/xml; charset=utf-8"
PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n'


def success(inner=""):
    return "%s<response>\n<error>0</error>\n%s</response>\n" % (PROLOG, inner)


def error(message):
    return "%s<response>\n<error>1</error>\n<message>%s</message>\n</response>\n" % (
        PROLOG, escape_xml(message))


def rss(item, pings, for_readers=False):
    """RSS 0.91 for an item and its pings (in the order given).

    For `__mode=rss` (read by programs) the ping fields are the text as received;
    `for_readers` (the `ID.xml` feed people subscribe to, whose descriptions
    readers render as HTML) gives their plain-text view instead."""
    shown = feed_text if for_readers else _as_received
    parts = ['<rss version="0.91"><channel>\n',
             "<title>%s</title>\n" % escape_xml(item.title),
             "<link>%s</link>\n" % escape_xml(item.url),
             "<description>%s</description>\n" % escape_xml(item.description),
             "<language>en-us</language>\n"]
    for ping in pings:
        parts.append("<item>\n<title>%s</title>\n<link>%s</link>\n" % (
            escape_xml(shown(ping.title)), escape_xml(web_link(ping.source_url))))
        excerpt = shown(ping.excerpt)
        if excerpt:
            parts.append("<description>%s</description>\n" % escape_xml(excerpt))
        parts.append("</item>\n")
    parts.append("</channel>\n</rss>")
    return "".join(parts)


def _as_received(text):
    return text or ""


FEED_SIZE = 10
RSS_MAX = 1000      # the most pings one `__mode=rss` answer gives (`limit=`)


def rss_window(fields, default):
    """(limit, offset) of a `__mode=rss` request: `limit=` (1 to RSS_MAX,
    default `default`) pings after skipping the `offset=` newest."""
    def number(name):
        text = (fields.get(name) or "").strip()
        return int(text) if text.isdigit() and text.isascii() and len(text) < 10 else None
    limit = number("limit") or default
    return min(limit, RSS_MAX), number("offset") or 0


def write_feed(store, blog, item):
    """Replace `<archive path>/<id>.xml` with the item's newest pings, newest first.

    Call inside a store transaction (mtpy.actions.pings writes it in the one
    that changed the pings, just before its commit), so that concurrent pings
    cannot finish in the wrong order and leave an older list."""
    import os
    from mtpy.fileutil import write_atomic
    folder = blog.archive_path or blog.site_path
    if not folder:
        return None
    pings = store.list_pings(tb_id=item.id, newest_first=True, limit=FEED_SIZE)
    path = os.path.join(folder, "%d.xml" % item.id)
    write_atomic(path, rss(item, pings, for_readers=True) + "\n", durable=False)  # rebuildable: no fsync on the ping path
    return path
