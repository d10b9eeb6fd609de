"""Finding the Pingback server a page announces (Pingback 1.0): its
`X-Pingback` header first, else its first `<link rel="pingback" href="...">`
(read as HTML: comments and escaped text hold no elements, references are
decoded), resolved against the page's final URL.

The reading is pure (final URL, headers, text): the page is fetched once, for
every protocol, by mtpy.actions.discovery through mtpy.outbound.
"""

from mtpy.webmention.discover import first_rel_href, header_values, resolved

REL = "pingback"


def pingback_server(page_url, headers, html_text):
    """The Pingback server the page announces, absolute, or None."""
    for value in header_values(headers, "X-Pingback"):
        if value.strip():
            return resolved(page_url, value.strip())
    href = first_rel_href(html_text, REL, ("link",))
    return resolved(page_url, href) if href else None
