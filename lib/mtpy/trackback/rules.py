"""The field rules of a received ping, as MT 2.6 applied them: URL validation,
excerpt cropping, the title fallback, closed items. Addresses and bans:
mtpy.addresses."""

from mtpy.text import collapse_space, first_words, remove_tags, strip_controls

EXCERPT_LIMIT = 255
FIELD_LIMIT = 255       # title, blog_name: MT's columns
URL_LIMIT = 4096        # longer source URLs are refused
_URL_FORBIDDEN = set(' "<>\\^`{|}\t\n\r')


def normalize_url(raw):
    """The URL as it will be stored, or None when it is not a valid http(s) URL.

    Repairs what users mistype (`http;//`, `http//`, a missing scheme) and refuses
    everything that is not http or https with a valid host: a name (IDNA), an IPv4
    address or a bracketed IPv6 address, an optional port from 1 to 65535, and no
    credentials (`user:pass@`)."""
    url = raw.strip()
    lowered = url.lower()
    for typo, fixed in (("http;//", "http://"), ("https;//", "https://"),
                        ("http//", "http://"), ("https//", "https://")):
        if lowered.startswith(typo):
            url = fixed + url[len(typo):]
            lowered = url.lower()
            break
    if "://" not in url:
        if ":" in url.split("/", 1)[0] and not _looks_like_host_port(url):
            return None  # javascript:, data:, mailto: ...
        url = "http://" + url
        lowered = url.lower()
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in ("http", "https"):
        return None
    if any(char in _URL_FORBIDDEN or ord(char) < 32 or ord(char) == 127 for char in url):
        return None
    netloc = rest
    for end in "/?#":
        netloc = netloc.split(end, 1)[0]
    if not (_plain_netloc(netloc) or _valid_netloc(scheme.lower() + "://" + rest)):
        return None
    return scheme.lower() + "://" + rest


# What a host name of the common, ASCII kind is made of (underscores: browsers
# accept them in names, and weblogs' subdomains have them).
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")


def _plain_netloc(netloc):
    """True for `name[:port]` with an ASCII name whose labels are 1 to 63
    characters: the common case, checked without urllib.parse (whose import,
    with `re` and `ipaddress`, costs a CGI ping a third of its own time)."""
    host, colon, port = netloc.partition(":")
    if colon and not (port.isdigit() and port.isascii() and 0 < int(port) < 65536):
        return False
    return _valid_ascii_name(host)


def _valid_ascii_name(host):
    if not host or len(host) > 253 or not _NAME_CHARS.issuperset(host):
        return False
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()                     # a fully qualified name: example.com.
    return all(0 < len(label) < 64 for label in labels)


def _valid_netloc(url):
    """The careful check, with urllib.parse, for anything else: brackets,
    credentials, ports that are not numbers, names that are not ASCII."""
    import urllib.parse
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port                # raises on `abc` or 99999
    except ValueError:
        return False                     # `[::1:80`, a port out of range or not a number
    netloc = parts.netloc
    if "@" in netloc or port == 0:
        return False                     # credentials; port 0
    host = parts.hostname or ""
    if netloc.startswith("["):
        after = netloc.partition("]")[2]
        if netloc.count("[") != 1 or netloc.count("]") != 1 or (after and not after.startswith(":")):
            return False                 # [::1]]/, [::1]x
        import ipaddress
        try:
            return ipaddress.ip_address(host).version == 6 and "%" not in host
        except ValueError:
            return False                 # [v1.future], [junk], [1.2.3.4]
    if "[" in netloc or "]" in netloc or "%" in host:
        return False                     # stray brackets; a percent-encoded host
    if host.isascii():
        return _valid_ascii_name(host)
    try:
        encoded = host.encode("idna")    # IDNA: labels of 1 to 63 characters, nameprep
    except UnicodeError:
        return False
    return _valid_ascii_name(encoded.decode("ascii"))


def _looks_like_host_port(url):
    """`example.com:8080/x` has a colon but is a host and port, not a scheme."""
    head = url.split("/", 1)[0]
    host, _, port = head.rpartition(":")
    return port.isdigit() and "." in host


def crop_excerpt(excerpt):
    """Over 255 characters: the first 252 and `...` (characters, never bytes)."""
    if len(excerpt) > EXCERPT_LIMIT:
        return excerpt[:EXCERPT_LIMIT - 3] + "..."
    return excerpt


def ping_fields(fields):
    """title, excerpt, blog_name from the form, by MT's rules; url is checked apart."""
    clean = {name: strip_controls(fields.get(name) or "") for name in ("title", "excerpt", "blog_name")}
    excerpt = crop_excerpt(clean["excerpt"])
    title = clean["title"]
    url = fields["url"]
    if "title" in fields and not title.strip():
        title = url                          # present but empty: the url
    elif "title" not in fields:
        words = first_words(collapse_space(remove_tags(excerpt)), 5)
        title = words or url                 # absent: first words of the excerpt
    # MT kept title and blog_name in 255-character columns: cropped there, by
    # characters (never bytes).
    return {"title": title[:FIELD_LIMIT], "excerpt": excerpt, "blog_name": clean["blog_name"][:FIELD_LIMIT]}


def url_too_long(url):
    """A source URL longer than URL_LIMIT characters is refused (cropping would
    break it)."""
    return len(url) > URL_LIMIT


def pings_closed(blog, entry, now):
    """Whether the weblog takes no pings (accept_pings off), or `entry` (None
    for a category's item) is older than the weblog's close_pings_after_days
    at `now` (stored UTC): the receiver refuses such pings and the pages stop
    offering the item."""
    if not blog.accept_pings:
        return True
    if not blog.close_pings_after_days or entry is None or not entry.created_on:
        return False
    from mtpy import dates
    return entry.created_on < dates.days_before(now, blog.close_pings_after_days)

