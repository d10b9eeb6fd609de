"""The field rules of a received ping (reference §2 and §4): URL validation, excerpt
cropping, the title fallback, IP bans."""

from mtpy.text import collapse_space, first_words, remove_tags, strip_controls

EXCERPT_LIMIT = 255
_URL_FORBIDDEN = set(' "<>\\^`{|}\t\n\r')


def normalize_url(raw):
    """The URL as it will be stored, or None when it is not a valid http(s) URL.

    Repairs what users mistype (`http;//`, `http//`, a missing scheme) and refuses
    everything that is not http or https with a host."""
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
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    hostname = host.rsplit("@", 1)[-1]
    if hostname.startswith("["):
        hostname = hostname.split("]", 1)[0] + "]"
    else:
        hostname = hostname.split(":", 1)[0]
    if not hostname.strip("[]") or any(char in _URL_FORBIDDEN for char in url):
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in url):
        return None
    return scheme.lower() + "://" + rest


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
    return {"title": title, "excerpt": excerpt, "blog_name": clean["blog_name"]}


def ip_is_banned(ip, bans):
    """Bans are exact addresses, MT-style prefixes ending in '.' or ':' (`192.168.`)
    or CIDR ranges (IPv4 or IPv6). Matched as addresses, never as patterns."""
    for ban in bans:
        ban = ban.strip()
        if not ban:
            continue
        if "/" in ban:
            if _in_network(ip, ban):
                return True
        elif ban.endswith((".", ":")):
            if ip.startswith(ban):
                return True
        elif _same_address(ip, ban):
            return True
    return False


def _same_address(ip, ban):
    if ip == ban:
        return True
    if ":" in ip or ":" in ban:     # IPv6 has several spellings of one address
        import ipaddress
        try:
            return ipaddress.ip_address(ip) == ipaddress.ip_address(ban)
        except ValueError:
            return False
    return False


def _in_network(ip, cidr):
    import ipaddress
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False


def valid_ban(text):
    """True when `text` is something ip_is_banned understands (for the CLI)."""
    import ipaddress
    text = text.strip()
    if not text:
        return False
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=False)
        elif text.endswith((".", ":")):
            return all(char in "0123456789abcdefABCDEF.:" for char in text)
        else:
            ipaddress.ip_address(text)
    except ValueError:
        return False
    return True

