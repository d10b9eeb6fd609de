"""Finding the Pingback server a page announces (Pingback 1.0): its
`X-Pingback` header first, else its first `<link rel="pingback" href="...">`
(read as HTML: comments and escaped text hold no elements, references are
decoded), resolved against the page's final URL.

The reading is pure (final URL, headers, text); `find_server` fetches the
page through mtpy.outbound first.
"""

from mtpy.webmention.discover import resolved, first_rel_href, header_values

REL = "pingback"


def pingback_server(page_url, headers, html_text):
    """The Pingback server the page announces, absolute, or None."""
    for value in header_values(headers, "X-Pingback"):
        if value.strip():
            return resolved(page_url, value.strip())
    href = first_rel_href(html_text, REL, ("link",))
    return resolved(page_url, href) if href else None


def find_server(config, url, **options):
    """Fetch the page at `url` (mtpy.outbound.fetch_page's `options`) and
    return its Pingback server, or None. Raises outbound.OutboundError when
    the page cannot be fetched."""
    from mtpy import outbound
    page = outbound.fetch_page(config, url, **options)
    return pingback_server(page.url, page.headers, page.text if page.is_page else "")
