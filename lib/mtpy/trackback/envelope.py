"""The XML documents of the TrackBack specification: the response envelope,
the RSS 0.91 listing of an item's pings (also the static `ID.xml` feed's,
which mtpy.publish.feeds writes).

Everything is escaped, so the documents are well-formed whatever the ping says.
Pings of every protocol are items; in `ID.xml` a like, repost or bookmark reads
"Liked by NAME" (reader_title).
"""

from mtpy.text import escape_xml, feed_text, web_link

CONTENT_TYPE = "text/xml; charset=utf-8"
PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n'


def success(inner=""):
    return "%s<response>\n<error>0</error>\n%s</response>\n" % (PROLOG, inner)


def error(message):
    return "%s<response>\n<error>1</error>\n<message>%s</message>\n</response>\n" % (
        PROLOG, escape_xml(message))


def rss(item, pings, for_readers=False, link=None):
    """RSS 0.91 for an item and its pings (in the order given).

    For `__mode=rss` (read by programs) the ping fields are the text as received;
    `for_readers` (the `ID.xml` feed people subscribe to, whose descriptions
    readers render as HTML) gives their plain-text view instead. `link`: the
    channel's page, when not the item's url."""
    shown = feed_text if for_readers else _as_received
    parts = ['<rss version="0.91"><channel>\n',
             "<title>%s</title>\n" % escape_xml(item.title),
             "<link>%s</link>\n" % escape_xml(item.url if link is None else link),
             "<description>%s</description>\n" % escape_xml(item.description),
             "<language>en-us</language>\n"]
    for ping in pings:
        title = reader_title(ping) if for_readers else _as_received(ping.title)
        parts.append("<item>\n<title>%s</title>\n<link>%s</link>\n" % (
            escape_xml(title), escape_xml(web_link(ping.source_url))))
        excerpt = shown(ping.excerpt)
        if excerpt:
            parts.append("<description>%s</description>\n" % escape_xml(excerpt))
        parts.append("</item>\n")
    parts.append("</channel>\n</rss>")
    return "".join(parts)


def _as_received(text):
    return text or ""


# What a reader sees of a like, a repost or a bookmark, whose source seldom has
# a title of its own ("Liked by Ann"); and of a reply or mention without one.
REACTION_VERBS = {"like": "Liked", "repost": "Reposted", "bookmark": "Bookmarked"}
UNTITLED = {"reply": "Reply", "mention": "Mention"}


def reader_title(ping):
    """An item's title in a feed people read (its plain-text view, feed_text):
    a reaction as "Liked by NAME", anything else its title, else "Reply from
    NAME"."""
    verb = REACTION_VERBS.get(ping.kind)
    if verb:
        return "%s by %s" % (verb, display_name(ping.author_name, ping.blog_name, ping.title,
                                                ping.source_url, feed_text))
    title = feed_text(ping.title)
    if title.strip():
        return title
    return "%s from %s" % (UNTITLED.get(ping.kind, "Ping"), display_name(
        ping.author_name, ping.blog_name, "", ping.source_url, feed_text))


def display_name(author_name, blog_name, title, source_url, shown):
    """Who a ping is from, as plain text: its author, else its weblog's name,
    else its title, else its source's host, else "someone"."""
    for value in (author_name, blog_name, title):
        name = shown(value).strip()
        if name:
            return name
    link = web_link(source_url or "")
    if link:    # the host, without urllib (the ping path writes ID.xml)
        host = link.split("//", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
        if host:
            return host
    return "someone"


RSS_MAX = 1000      # the most pings one `__mode=rss` answer gives (`limit=`)


def rss_window(fields, default):
    """(limit, offset) of a `__mode=rss` request: `limit=` (1 to RSS_MAX,
    default `default`) pings after skipping the `offset=` newest."""
    def number(name):
        text = (fields.get(name) or "").strip()
        return int(text) if text.isdigit() and text.isascii() and len(text) < 10 else None
    limit = number("limit") or default
    return min(limit, RSS_MAX), number("offset") or 0

