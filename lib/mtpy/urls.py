"""Every public URL mtpy builds, in one place: the scripts (CGIPath and a
script's name), an item's TrackBack ping URL, the Pingback server and the
Webmention endpoint, the listing popup, the archive pages of entries and
categories, mt.cgi's held pings.

Pure functions of records and mt.cfg, on the standard library only: the ping
path, mt-check.cgi and the publishing pipeline may all import it.
"""

from mtpy.config import is_absolute_url, on_origin_of
from mtpy.text import dirify

# Longest dirified label in a category archive's file name: with "cat_" and
# ".html" well inside every filesystem's 255 bytes (labels are capped at
# LABEL_LIMIT, but imports and older stores may hold longer ones).
CATEGORY_NAME_LIMIT = 100


def script_url(config, script_directive="TrackbackScript", site_url=None):
    """The URL of a script: CGIPath and its name. A CGIPath that is still a
    bare path is put on the scheme and host of `site_url` (the weblog's),
    so that a published or shown ping URL is always absolute."""
    cgi_path = config.get("CGIPath")
    if site_url and not is_absolute_url(cgi_path):
        cgi_path = on_origin_of(site_url, cgi_path)
    return cgi_path + config.get(script_directive)


def ping_url(config, item, blog):
    """The URL MT publishes for a TrackBack item of `blog`:
    `<CGIPath>mt-tb.cgi/<id>`, always absolute (see script_url)."""
    return item_ping_url(script_url(config, site_url=blog.site_url), item)


def item_ping_url(trackback_script_url, item):
    """ping_url with the weblog's mt-tb.cgi URL already known (a rebuild's pages)."""
    return "%s/%d" % (trackback_script_url, item.id)


def category_ping_url(config, item, category, blog):
    """The TrackBack URL of a category's item, with its passphrase as the last
    path segment when it has one: the URL its owner hands out (mt-tb.cgi reads
    the passphrase from there)."""
    from urllib.parse import quote      # here: a Pingback's answer reads mtpy.urls without it
    url = ping_url(config, item, blog)
    return url + ("/" + quote(category.passphrase, safe="") if category.passphrase else "")


def popup_url(trackback_script_url, entry_id=None, category_id=None):
    """The listing popup (`__mode=view`) of an entry's or a category's pings."""
    if entry_id is not None:
        return "%s?__mode=view&entry_id=%d" % (trackback_script_url, entry_id)
    return "%s?__mode=view&category_id=%d" % (trackback_script_url, category_id)


def pingback_url(config, blog):
    """The Pingback server a weblog's pages announce (X-Pingback, <link rel="pingback">)."""
    return script_url(config, "PingbackScript", site_url=blog.site_url)


def webmention_url(config, blog):
    """The Webmention endpoint a weblog's pages announce (<link rel="webmention">, Link:)."""
    return script_url(config, "WebmentionScript", site_url=blog.site_url)


def held_pings_url(config, blog):
    """mt.cgi's list of the weblog's pings held for approval."""
    return "%s?__mode=pings&blog_id=%d&show=held" % (script_url(config, "AdminScript"), blog.id)


def archive_base(blog):
    """The URL the weblog's archive pages are under, ending in `/`."""
    base = blog.archive_url or blog.site_url
    return base if not base or base.endswith("/") else base + "/"


def entry_basename(entry):
    """The entry archive's file name without `.html`: MT 2.x's `000123`."""
    return "%06d" % entry.id


def entry_permalink(blog, entry):
    """The entry's archive page URL."""
    return "%s%s.html" % (archive_base(blog), entry_basename(entry))


def category_basename(category):
    """The category archive's file name without `.html`: MT 2.x's `cat_label`
    (the label dirified, cut to CATEGORY_NAME_LIMIT), or `cat_ID` when the label
    leaves nothing."""
    return "cat_%s" % (dirify(category.label)[:CATEGORY_NAME_LIMIT].rstrip("_") or category.id)


def category_archive_url(blog, category):
    """The category's archive page URL."""
    return "%s%s.html" % (archive_base(blog), category_basename(category))


# -- is this URL one of ours? ---------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}


def same_address(url, other):
    """Whether two URLs are spellings of one http(s) address (address_spelling):
    the page a Pingback or Webmention names, and a source's link back to it."""
    one = address_spelling(url)
    return one is not None and one == address_spelling(other)


def address_spelling(url):
    """One spelling of an http(s) address for comparing: (host in lower case,
    without a trailing dot or `www.`; port unless the default; path without a
    trailing slash; query); the #fragment does not count. None for anything
    else: another scheme, no host, a bad port, a user name or password in it.
    Read with string methods, as urllib.parse.urlsplit reads it: a Pingback or
    Webmention answer imports neither urllib.parse nor the `re` it loads."""
    url = (url or "").strip()
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        return None
    rest = rest.partition("#")[0]
    ends = [at for at in (rest.find("/"), rest.find("?")) if at >= 0]
    netloc, rest = (rest[:min(ends)], rest[min(ends):]) if ends else (rest, "")
    path, _, query = rest.partition("?")
    if "@" in netloc:
        return None
    if netloc.startswith("["):          # an IPv6 address
        host, bracket, after = netloc[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            return None
        port_text = after[1:] if after else None
    else:
        host, colon, port_text = netloc.partition(":")
        port_text = port_text if colon else None
    port = _DEFAULT_PORTS[scheme]
    if port_text:
        if not port_text.isdigit() or not port_text.isascii() or int(port_text) > 65535:
            return None
        port = int(port_text)
    host = host.rstrip(".").lower()
    if not host:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass
    if host.startswith("www."):
        host = host[4:]
    return host, None if port == _DEFAULT_PORTS[scheme] else port, path.rstrip("/"), query


def is_under(url, base):
    """Whether `url` is the page `base` or one under it: the same host (any
    spelling, address_spelling) and port, its path within base's."""
    place, home = address_spelling(url), address_spelling(base)
    return (place is not None and home is not None and place[:2] == home[:2]
            and (place[2] + "/").startswith(home[2] + "/"))


def own_weblog(url, blogs):
    """The weblog (of `blogs`: every weblog of the installation) one of whose
    pages `url` is, or None: under its site_url or its archive_url. A
    weblog's rule for such links is its own_links."""
    for blog in blogs:
        if any(home and is_under(url, home) for home in (blog.site_url, blog.archive_url)):
            return blog
    return None
