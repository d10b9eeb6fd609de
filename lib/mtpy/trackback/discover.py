"""Finding the TrackBack ping URLs a page announces: the auto-discovery RDF
blocks a weblog puts on its pages, or a `<link rel="trackback">`.

Pages come from strangers and are often broken, so nothing here parses them as
XML: each `<rdf:RDF>` block is cut out (inside an HTML comment or bare) and its
`<rdf:Description>` start tags are read attribute by attribute. Entities are
never expanded: only the XML's own five and character references are decoded,
so a DTD on the page declares nothing. The work is bounded: the first
MAX_PAGE_CHARS of a page, at most MAX_ITEMS items, each tag read within
MAX_TAG_CHARS, every scan moving forward only.
"""

import re
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

MAX_PAGE_CHARS = 2 * 1024 * 1024
MAX_ITEMS = 100
MAX_TAG_CHARS = 64 * 1024
MAX_LINK_TAGS = 1000

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
TRACKBACK_NS = "http://madskills.com/public/xml/rss/module/trackback/"
DC_NS = "http://purl.org/dc/elements/1.1/"
# What a block that declares no namespaces (a careless template) means by them.
_USUAL_PREFIXES = {"rdf": RDF_NS, "trackback": TRACKBACK_NS, "dc": DC_NS}

_BLOCK_START, _BLOCK_END = "<rdf:RDF", "</rdf:RDF"
_DESCRIPTION = "<rdf:Description"
# An attribute of an XML start tag; a value never holds `<`, so a quote left
# open ends at the next tag instead of running on through the page.
_ATTRIBUTE = re.compile(r"""\s+([^\s=/<>"']+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
_TAG_END = re.compile(r"\s*/?>")
_REFERENCE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos);")
# An entity reference left undecoded: only a DTD could give it a meaning.
_UNDECLARED = re.compile(r"&[A-Za-z_:][\w.:-]*;")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
# An HTML attribute (quoted, bare or without a value) and a start tag's end,
# neither going past a `<`.
_HTML_ATTRIBUTE = re.compile(r"""[\s/]*([^\s/<>"'=][^\s/<>=]*)(?:\s*=\s*(?:"([^"<]*)"|'([^'<]*)'|([^\s<>"'][^\s<>]*)))?""")
_HTML_TAG_END = re.compile(r"[\s/]*>")
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
# A start tag's name (document_tags), and the elements whose content is
# text where no tag begins.
_TAG_NAME = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")
_RAW_TEXT = frozenset(("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"))
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Item:
    """One TrackBack item a page announces: where to ping it (`ping_url`),
    the page (or page#fragment) it stands for (`identifier`) and its title
    (`title`, "" when the page gives none)."""

    __slots__ = ("ping_url", "identifier", "title")

    def __init__(self, ping_url, identifier, title=""):
        self.ping_url = ping_url
        self.identifier = identifier
        self.title = title

    def __eq__(self, other):
        return type(other) is Item and (other.ping_url, other.identifier, other.title) == (
            self.ping_url, self.identifier, self.title)

    def __repr__(self):
        return "Item(ping_url=%r, identifier=%r, title=%r)" % (self.ping_url, self.identifier, self.title)


def trackback_items(html_text, page_url=None):
    """The items of every `<rdf:RDF>` block of the page, in page order; when
    the blocks give none, the page's `<link rel="trackback">` as an item
    standing for `page_url`. Relative URLs are resolved against `page_url`.
    Junk gives []."""
    return _announced(html_text, page_url)[0]


def _announced(html_text, page_url):
    """(the page's items, whether they come from RDF blocks)."""
    if not isinstance(html_text, str):
        return [], False
    text = html_text[:MAX_PAGE_CHARS]
    items = _rdf_items(text, page_url)
    if items:
        return items, True
    return _link_items(text, page_url), False


def ping_url_for(html_text, link, page_url=None):
    """The ping URL the page announces for `link` (the address it was fetched
    by), or None.

    With RDF items: the one whose identifier is `link` (compared as URLs: the
    case of the scheme and host, a default port, the case of %-escapes and
    non-ASCII characters do not count); else the one whose identifier is
    `link` without its #fragment (as Movable Type matched); else the only one
    whose identifier without its #fragment is `link`. None when none, or
    several, fit: a page announcing other pages' items is not the page linked.
    Without RDF items: the page's `<link rel="trackback">`.

    `page_url`, where the page was found after redirects, resolves relative
    URLs (default `link`) and is matched too when `link` is not."""
    page_url = page_url or link
    items, from_rdf = _announced(html_text, page_url)
    if not items:
        return None
    if not from_rdf:
        return items[0].ping_url        # a <link rel="trackback"> is the page's own
    for address in (link, page_url):
        found = _matching(items, address)
        if found is not None:
            return found.ping_url
    return None


def _matching(items, link):
    link_base, link_fragment = _comparable(link)
    if link_base is None:
        return None
    keys = [_comparable(item.identifier) for item in items]
    for item, (base, fragment) in zip(items, keys):
        if base == link_base and fragment == link_fragment:
            return item
    if link_fragment:
        for item, (base, fragment) in zip(items, keys):
            if base == link_base and not fragment:
                return item
        return None
    fitting = [item for item, (base, fragment) in zip(items, keys) if base == link_base]
    return fitting[0] if len(fitting) == 1 else None


def _comparable(url):
    """(the URL without its fragment, its fragment or "") in one spelling, or
    (None, None) for what is not an absolute URL."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
        host = parts.hostname
    except ValueError:
        return None, None
    if not parts.scheme or not host:
        return None, None
    scheme = parts.scheme.lower()
    netloc = host.lower()
    if ":" in netloc:
        netloc = "[%s]" % netloc
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += ":%d" % port
    path = _one_spelling(parts.path) or "/"
    return (urlunsplit((scheme, netloc, path, _one_spelling(parts.query), "")),
            _one_spelling(parts.fragment))


def _one_spelling(text):
    """Non-ASCII as UTF-8 %-escapes, every %-escape in capitals."""
    text = quote(text, safe="!#$%&'()*+,/:;=?@[]~")
    return _PERCENT_ESCAPE.sub(lambda match: match.group(0).upper(), text)


def _rdf_items(text, page_url):
    items = []
    for block_start, block_end in _blocks(text):
        namespaces = dict(_USUAL_PREFIXES)
        opening = _start_tag(text, block_start + len(_BLOCK_START), block_end)
        if opening is not None:
            namespaces.update(_declared_namespaces(opening))
        position = block_start
        while len(items) < MAX_ITEMS:
            position = text.find(_DESCRIPTION, position + 1, block_end)
            if position < 0:
                break
            attributes = _start_tag(text, position + len(_DESCRIPTION), block_end)
            if attributes is not None:
                item = _item(attributes, namespaces, page_url)
                if item is not None:
                    items.append(item)
        if len(items) >= MAX_ITEMS:
            break
    return items


def _blocks(text):
    """(start, end) of each `<rdf:RDF ...> ... </rdf:RDF` in the text."""
    position = 0
    while True:
        start = text.find(_BLOCK_START, position)
        if start < 0:
            return
        position = start + len(_BLOCK_START)
        if not _ends_name(text, position):
            continue
        end = text.find(_BLOCK_END, position)
        if end < 0:
            return      # no later block closes either
        yield start, end
        position = end + len(_BLOCK_END)


def _ends_name(text, position):
    return position < len(text) and (text[position].isspace() or text[position] in "/>")


def _start_tag(text, position, limit):
    """The attributes of the start tag whose name ends at `position`, as
    [(name, value)], or None when it is not a well-formed tag."""
    if not _ends_name(text, position):
        return None
    limit = min(limit, position + MAX_TAG_CHARS)
    attributes = []
    while True:
        found = _ATTRIBUTE.match(text, position, limit)
        if found is None:
            break
        value = found.group(2) if found.group(2) is not None else found.group(3)
        attributes.append((found.group(1), _xml_unescape(value)))
        position = found.end()
    return attributes if _TAG_END.match(text, position, limit) else None


def _declared_namespaces(attributes):
    return {name[6:]: value for name, value in attributes if name.startswith("xmlns:")}


def _item(attributes, block_namespaces, page_url):
    """The item a Description's attributes give, or None."""
    namespaces = dict(block_namespaces)
    namespaces.update(_declared_namespaces(attributes))
    values = {}
    for name, value in attributes:
        prefix, _, local = name.rpartition(":")
        # An undeclared prefix names no namespace we know, nor none.
        key = (namespaces.get(prefix, "?" + prefix), local) if prefix else (None, local)
        values.setdefault(key, value)
    about = values.get((RDF_NS, "about"), values.get((None, "about"), "")).strip()
    identifier = values.get((DC_NS, "identifier"), "").strip()
    ping = values.get((TRACKBACK_NS, "ping"))
    if ping is None:
        # Movable Type 2.2's blocks had no trackback:ping: the ping URL was
        # rdf:about, the page dc:identifier.
        if not (about and identifier):
            return None
        ping, about = about, ""
    ping = ping.strip()
    if _UNDECLARED.search(ping):
        return None
    ping_url = _resolved(ping, page_url)
    if not ping_url:
        return None
    identifier = identifier or about
    return Item(ping_url, _resolved(identifier, page_url) or identifier, values.get((DC_NS, "title"), ""))


def _xml_unescape(value):
    """An attribute value as an XML parser reads it: line ends and tabs as
    spaces, then the five entities and character references decoded. Any
    other entity stays as written: none is ever expanded."""
    value = value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return _REFERENCE.sub(_referenced, value)


def _referenced(match):
    name = match.group(1)
    if name[0] != "#":
        return _NAMED[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return match.group(0)
    return chr(code)


def _resolved(url, page_url):
    """`url` made absolute against `page_url` (when given); None when it is not
    a URL at all."""
    try:
        if url and page_url:
            url = urljoin(page_url, url)
        urlsplit(url).port
    except ValueError:
        return None
    return url


def _link_items(text, page_url):
    """The first `<link rel="trackback" href="...">`, as an item standing for
    the page."""
    for attributes in html_start_tags(text, "link", MAX_LINK_TAGS):
        rel = (attributes.get("rel") or "").lower().split()
        href = (attributes.get("href") or "").strip()
        if "trackback" in rel and href:
            ping_url = _resolved(href, page_url)
            return [Item(ping_url, page_url or "", "")] if ping_url else []
    return []


def html_start_tags(html_text, name, limit=MAX_LINK_TAGS):
    """The attributes of the first `limit` well-formed `<name ...>` start
    tags of an HTML text, each a dict (names in lower case, the first of a
    name kept, values with their character references decoded). A tag with a
    `<` inside is skipped, so that no scan goes past the next tag."""
    tag = re.compile(r"<%s(?=[\s/>])" % re.escape(name), re.I)
    position = 0
    for _ in range(limit):
        found = tag.search(html_text, position)
        if found is None:
            return
        attributes, position = _attributes_at(html_text, found.end())
        if attributes is not None:
            yield attributes


def document_tags(html_text, names, limit=None):
    """(where it starts, where it ends, its name in lower case, its
    attributes) of each well-formed start tag among `names` (lower case), at
    most `limit`, in document order, read as html_start_tags reads one, but as
    a browser sees elements: nothing inside a comment, a `<!...>` or `<?...>`
    declaration, or the text of a raw-text element (script, style, textarea,
    title...) is a tag. One pass forward: linear in the text, whatever it holds."""
    position, found_tags = 0, 0
    while limit is None or found_tags < limit:
        start = html_text.find("<", position)
        if start < 0:
            return
        if html_text.startswith("<!--", start):
            end = html_text.find("-->", start + 4)
            if end < 0:
                return
            position = end + 3
            continue
        if html_text.startswith(("<!", "<?"), start):
            end = html_text.find(">", start + 2)
            if end < 0:
                return
            position = end + 1
            continue
        found = _TAG_NAME.match(html_text, start)
        if found is None:
            position = start + 1
            continue
        name = found.group(1).lower()
        attributes, position = _attributes_at(html_text, found.end())
        if name in _RAW_TEXT:
            closing = re.compile(r"</%s(?=[\s/>])" % name, re.I).search(html_text, position)
            if closing is None:
                return
            position = closing.start()
        elif attributes is not None and name in names:
            found_tags += 1
            yield start, position, name, attributes


def _attributes_at(html_text, position):
    """(the attributes of the start tag whose name ends at `position`, or
    None when it is not well formed; where the scan goes on)."""
    from html import unescape
    end = min(len(html_text), position + MAX_TAG_CHARS)
    attributes = {}
    while True:
        attribute = _HTML_ATTRIBUTE.match(html_text, position, end)
        if attribute is None:
            break
        key, quoted, apostrophed, bare = attribute.groups()
        value = next((part for part in (quoted, apostrophed, bare) if part is not None), "")
        attributes.setdefault(key.lower(), unescape(value))
        position = attribute.end()
    closing = _HTML_TAG_END.match(html_text, position, end)
    if closing is None:
        return None, position
    return attributes, closing.end()
