"""What a linking page says: whether it links to a page of ours, and about
itself (a Pingback's or Webmention's source, read by the link-back check,
mtpy.actions.linkback).

A link counts in `<a href>`, `<img src>` and `<video>`/`<audio>`/`<source
src>` (relative ones resolved against the page's URL, or its `<base href>`),
in any spelling of the target's address that mtpy.actions.linkback's
same_address accepts; never inside an HTML comment, a script or a style, nor
as text. A page that says `<meta http-equiv="Status" content="410 Gone">`
(a static site's deleted post) is gone.

The rest comes from the page's h-entry, read with `mf2py` where it is
installed (on a page of at most MICROFORMATS_MAX_TAGS elements): the author's name, URL and photo, the title, the text, the date
and the kind (a reply when `in-reply-to` names the target; a like, repost or
bookmark likewise; else a mention). Without mf2py, or without an h-entry:
the page's `<title>` and about 100 characters each side of the first link
to the target, as WordPress does.

Everything a source says is hostile: kept as plain text (tags removed,
control characters dropped, cropped to the ping's columns), URLs only when
they are http(s), never markup.
"""

from html.parser import HTMLParser

from mtpy.text import collapse_space, remove_tags, strip_controls
from mtpy.trackback.rules import FIELD_LIMIT, URL_LIMIT, crop_excerpt, normalize_url

# Where a page links: element -> its attribute holding the address.
LINK_ATTRIBUTES = {"a": "href", "img": "src", "video": "src", "audio": "src", "source": "src"}
AROUND_LINK = 100           # characters of text kept each side of the link (WordPress's)
# mf2py reads a page of at most this many elements (a weblog's page has a few
# thousand): it takes about a second for 7,500, and a hostile page of 80,000
# `<b>` would cost the check several seconds of CPU each time it is sent.
MICROFORMATS_MAX_TAGS = 10000
# h-entry properties that make a response of a kind, when they name the target.
KIND_PROPERTIES = (("in-reply-to", "reply"), ("like-of", "like"), ("repost-of", "repost"),
                   ("bookmark-of", "bookmark"))
_UNREAD = ("script", "style", "template", "noscript")     # text no reader sees as the page's


class Source:
    """What a page said: `links` (to one of the targets), `gone` (it says 410),
    and, plain text: `title`, `excerpt`, `author_name`, `author_url`,
    `author_photo` (http(s) URLs or ""), `published` (stored UTC or ""),
    `kind` (mtpy.models.KINDS)."""

    def __init__(self):
        self.links = self.gone = False
        self.title = self.excerpt = self.author_name = self.author_url = self.author_photo = ""
        self.published = ""
        self.kind = "mention"


def read_source(page_html, page_url, targets):
    """A Source for the page (its text, and the URL it came from) and the
    URLs of ours a link to which counts (`targets`)."""
    from mtpy.actions.linkback import spelling
    wanted = {found for found in map(spelling, targets) if found is not None}
    source = Source()
    reader = _Reader(page_url or "", wanted)
    reader.read(_without_comments(page_html or ""))
    source.links, source.gone = reader.link_at is not None, reader.gone
    if not source.links:
        return source
    source.title = plain(reader.title, FIELD_LIMIT)
    source.excerpt = _around_link(reader)
    entry = None
    if reader.tags <= MICROFORMATS_MAX_TAGS and "h-entry" in page_html:
        entry = _h_entry(page_html, page_url, wanted)
    if entry is not None:
        _read_entry(source, entry, wanted)
    return source


def links_back(page_html, page_url, targets):
    """Whether the page links to one of `targets` (see the module's docstring)."""
    return read_source(page_html, page_url, targets).links


def plain(text, limit):
    """Hostile text as plain text of at most `limit` characters: control
    characters dropped, anything that looks like a tag removed, white space
    collapsed."""
    return collapse_space(remove_tags(strip_controls(text or "")))[:limit]


def web_address(url):
    """An http(s) URL as it may be stored and linked (mtpy.trackback.rules'
    normalize_url), else "": javascript:, data:, an address too long."""
    if not isinstance(url, str) or len(url) > URL_LIMIT or not url.lower().startswith(("http://", "https://")):
        return ""
    return normalize_url(url) or ""


class _Reader(HTMLParser):
    """One pass over the page: its base, title, text (for the words around
    the link), the first link to a target and whether it says 410."""

    def __init__(self, page_url, wanted):
        from mtpy.actions.linkback import joined, spelling     # linkback imports this module
        HTMLParser.__init__(self, convert_charrefs=True)
        self.joined, self.spelling = joined, spelling
        self.base, self.based, self.wanted = page_url, False, wanted
        self.title, self.in_title, self.unread = "", False, 0
        self.text, self.length = [], 0
        self.link_at = self.link_end = None
        self.open_link = False
        self.gone = False
        self.tags = 0

    def read(self, text):
        try:
            self.feed(text)
            self.close()
        except (AssertionError, ValueError):     # markup too broken to read further: what was read counts
            pass

    def handle_starttag(self, tag, attributes):
        joined, spelling = self.joined, self.spelling
        self.tags += 1
        values = dict((name, value or "") for name, value in reversed(attributes))
        if tag in _UNREAD:
            self.unread += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "base" and not self.based and values.get("href"):      # the first one counts
            self.base, self.based = joined(self.base, values["href"]) or self.base, True
        elif tag == "meta" and values.get("http-equiv", "").strip().lower() == "status":
            self.gone = self.gone or values.get("content", "").strip().startswith("410")
        elif tag in ("br", "p", "div", "li", "td", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"):
            self._add(" ")
        address = values.get(LINK_ATTRIBUTES.get(tag, ""), "")
        if self.link_at is None and address.strip() and spelling(joined(self.base, address)) in self.wanted:
            self.link_at = self.length
            self.open_link = tag == "a"
            if not self.open_link:
                self.link_end = self.length

    def handle_startendtag(self, tag, attributes):
        self.handle_starttag(tag, attributes)
        if tag in _UNREAD:
            self.unread -= 1

    def handle_endtag(self, tag):
        if tag in _UNREAD:
            self.unread = max(self.unread - 1, 0)
        elif tag == "title":
            self.in_title = False
        elif tag == "a" and self.open_link:
            self.open_link = False
            self.link_end = self.length

    def handle_data(self, data):
        if self.in_title and len(self.title) < 4 * FIELD_LIMIT:
            self.title += data
        elif not self.unread:
            self._add(data)

    def _add(self, text):
        # Text far past the link is never shown: not kept.
        if self.link_end is None or self.length < self.link_end + 4 * AROUND_LINK:
            self.text.append(text)
            self.length += len(text)


def _around_link(reader):
    """About AROUND_LINK characters of text each side of the link, and its
    own text, cut at words, `[…]` where cut (WordPress's excerpt)."""
    text = "".join(reader.text)
    start, end = reader.link_at, reader.link_end if reader.link_end is not None else reader.link_at
    before = text[max(start - AROUND_LINK, 0):start]
    after = text[end:end + AROUND_LINK]
    if start > AROUND_LINK and " " in before.strip():
        before = "[\u2026] " + before.lstrip().split(" ", 1)[1]
    if len(text) > end + AROUND_LINK and " " in after.strip():
        after = after.rstrip().rsplit(" ", 1)[0] + " [\u2026]"
    return crop_excerpt(plain(before + text[start:end] + after, 4 * AROUND_LINK))


def _without_comments(text):
    """The text without its HTML comments (one left open runs to the end, as
    browsers read it)."""
    import re
    return re.sub(r"<!--.*?(?:-->|\Z)", " ", text, flags=re.S)


# -- microformats ---------------------------------------------------------------

def _h_entry(page_html, page_url, wanted):
    """The page's h-entry (mf2py's parse of it, a dict) that speaks of the
    target, else its first; None without mf2py or an h-entry."""
    try:
        import mf2py
    except ImportError:
        return None
    try:
        parsed = mf2py.parse(doc=page_html, url=page_url, html_parser="html.parser", metaformats=False)
    except Exception:       # whatever hostile markup makes a parser do, the page has no h-entry
        return None
    entries = []
    for item in parsed.get("items") or []:
        types = item.get("type") or []
        if "h-entry" in types:
            entries.append(item)
        elif "h-feed" in types:
            entries.extend(child for child in item.get("children") or [] if "h-entry" in (child.get("type") or []))
    for entry in entries:
        if _kind(entry, wanted) != "mention" or _content_links(entry, wanted):
            return entry
    return entries[0] if entries else None


def _read_entry(source, entry, wanted):
    properties = entry.get("properties") or {}
    source.kind = _kind(entry, wanted)
    content = _first(properties, "content")
    text = content.get("value", "") if isinstance(content, dict) else _text(content)
    summary = _text(_first(properties, "summary"))
    name = plain(_text(_first(properties, "name")), FIELD_LIMIT)
    # A note's implied name is its text: a title only when it says something else.
    if name and not collapse_space(text).startswith(name.rstrip(". \u2026")):
        source.title = name
    if summary or text:
        source.excerpt = crop_excerpt(plain(summary or text, 4 * FIELD_LIMIT))
    source.published = _stored_time(_text(_first(properties, "published") or _first(properties, "updated")))
    author = _first(properties, "author")
    if isinstance(author, dict):
        card = author.get("properties") or {}
        source.author_name = plain(_text(_first(card, "name")) or author.get("value", ""), FIELD_LIMIT)
        source.author_url = web_address(_text(_first(card, "url")))
        source.author_photo = web_address(_url(_first(card, "photo")))
    elif isinstance(author, str):
        if web_address(author):
            source.author_url = web_address(author)
        else:
            source.author_name = plain(author, FIELD_LIMIT)
    if source.author_url and source.author_name == source.author_url:
        source.author_name = ""


def _kind(entry, wanted):
    from mtpy.actions.linkback import spelling
    properties = entry.get("properties") or {}
    for name, kind in KIND_PROPERTIES:
        for value in properties.get(name) or []:
            if spelling(_url(value)) in wanted:
                return kind
    return "mention"


def _content_links(entry, wanted):
    """Whether the entry's content links to a target (mf2py has resolved its URLs)."""
    for content in (entry.get("properties") or {}).get("content") or []:
        if isinstance(content, dict):
            reader = _Reader("", wanted)
            reader.read(content.get("html") or "")
            if reader.link_at is not None:
                return True
    return False


def _first(properties, name):
    values = properties.get(name) or [None]
    return values[0]


def _text(value):
    if isinstance(value, dict):
        return _text(value.get("value"))
    return value if isinstance(value, str) else ""


def _url(value):
    """A property's URL: the string, an h-cite's (or a photo's) `url` or `value`."""
    if isinstance(value, dict):
        urls = (value.get("properties") or {}).get("url")
        return _url(urls[0]) if urls else _text(value.get("value"))
    return value if isinstance(value, str) else ""


def _stored_time(text):
    """An ISO 8601 date and time (2026-12-07T10:00:00+01:00, a `Z`, a space, no
    zone: UTC) as a stored UTC time, or ""."""
    from datetime import datetime, timezone
    from mtpy.dates import STORED_FORMAT
    text = (text or "").strip()[:40]
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]          # +0100 as +01:00 (Python 3.9's fromisoformat)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime(STORED_FORMAT) if 1900 <= moment.year <= 9999 else ""
