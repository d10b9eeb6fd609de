"""Finding the Webmention endpoint a page announces, exactly as the
Recommendation says (§3.1.2): the first HTTP `Link` header value whose rel
names `webmention`; else the first `<link>` or `<a>` element whose rel does,
in document order. rel values are space-separated lists read in any case; a
`Link` header may hold several comma-separated values and there may be
several of them; a `<link>` without href is skipped; an empty href is the page
itself; anything inside an HTML comment, a script or escaped text is not an
element. The endpoint is resolved against the page's final URL (after
redirects), its query string kept.

The reading is pure (final URL, headers, text): the page is fetched once, for
every protocol, by mtpy.actions.discovery through mtpy.outbound (its address
rules, limits and redirects).
"""

from urllib.parse import urljoin

REL = "webmention"
MAX_PAGE_CHARS = 2 * 1024 * 1024


def webmention_endpoint(page_url, headers, html_text):
    """The endpoint the page at `page_url` (where it was found after
    redirects) announces, absolute, or None. `headers`: a mapping or (name,
    value) pairs; `html_text`: the page's text, or "" when it is no page."""
    for value in header_values(headers, "Link"):
        for target, rels in link_header_values(value):
            if REL in rels:
                return resolved(page_url, target)
    href = first_rel_href(html_text, REL, ("link", "a"))
    return resolved(page_url, href) if href is not None else None


def header_values(headers, name):
    """Every value of the header `name` (any case), in order."""
    pairs = headers.items() if hasattr(headers, "items") else headers or ()
    return [value for key, value in pairs if key.lower() == name.lower()]


def link_header_values(value):
    """[(target, rels)] of an HTTP Link header (RFC 8288): each
    `<target>; param=value; ...` of the comma-separated list, its rel
    parameter (quoted or not) as a set of lower-case names."""
    values = []
    position, length = 0, len(value)
    while position < length:
        start = value.find("<", position)
        if start < 0:
            break
        end = value.find(">", start + 1)
        if end < 0:
            break
        target = value[start + 1:end].strip()
        params, position = _parameters(value, end + 1)
        rels = set(params.get("rel", "").lower().split())
        values.append((target, rels))
    return values


def _parameters(value, position):
    """The `; name=value` parameters from `position` up to the comma that ends
    this link value (outside quotes), and where the next value begins."""
    params = {}
    length = len(value)
    while position < length:
        while position < length and value[position] in " \t":
            position += 1
        if position >= length:
            break
        if value[position] == ",":
            return params, position + 1
        if value[position] != ";":
            position += 1       # stray text: skipped
            continue
        position += 1
        name_end = position
        while name_end < length and value[name_end] not in "=;,":
            name_end += 1
        name = value[position:name_end].strip().lower()
        position = name_end
        text = ""
        if position < length and value[position] == "=":
            position += 1
            while position < length and value[position] in " \t":
                position += 1
            if position < length and value[position] == '"':
                closing = value.find('"', position + 1)
                closing = length if closing < 0 else closing
                text = value[position + 1:closing]
                position = closing + 1
            else:
                text_end = position
                while text_end < length and value[text_end] not in ";,":
                    text_end += 1
                text = value[position:text_end].strip()
                position = text_end
        params.setdefault(name, text)      # the first rel counts (RFC 8288 §3)
    return params, position


def first_rel_href(html_text, rel, tags):
    """The href (character references decoded) of the first element among
    `tags` whose rel names `rel`, in document order; None when there is none.
    Comments, scripts and escaped text hold no elements (read by
    mtpy.trackback.discover.document_tags, in one pass)."""
    from mtpy.trackback.discover import document_tags
    for _, _, _, attributes in document_tags((html_text or "")[:MAX_PAGE_CHARS], tags):
        if rel in (attributes.get("rel") or "").lower().split() and "href" in attributes:
            return attributes["href"].strip()
    return None


def resolved(page_url, href):
    try:
        return urljoin(page_url, href) if page_url else href
    except ValueError:
        return None
