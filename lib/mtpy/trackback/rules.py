"""The field rules of a received ping, as MT 2.6 applied them: URL validation,
excerpt cropping, the title fallback, IP bans."""

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


def normalize_address(text):
    """One spelling of a client's address, as bans, throttles, the store and
    every display see it: an IPv4-mapped IPv6 address becomes the IPv4 address
    (`::ffff:127.0.0.1` is 127.0.0.1), a port and brackets are removed
    (`198.51.100.99:1234`, `[2001:db8::1]:80`), IPv6 is written in its short
    lower-case form. Anything that is not an address is returned stripped."""
    address = text.strip()
    if ":" not in address and "[" not in address:
        return address                   # IPv4 as web servers give it: no import
    if address.startswith("["):
        inner, bracket, rest = address[1:].partition("]")
        if not bracket or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return address
        address = inner
    elif address.count(":") == 1:        # IPv4 with a port
        host, _, port = address.partition(":")
        return host if port.isdigit() and ":" not in host else address
    import ipaddress
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def is_address(text):
    """True when `text` is an IPv4 or IPv6 address."""
    import ipaddress
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# How much of IPv6 is one sender: a subscriber is handed a /64 (or more) and
# its host may pick any of 2^64 addresses, one a ping.
SENDER_PREFIX_IPV6 = 64


def sender_network(ip):
    """What the throttles and the flood rule count as one sender: None when
    that is the (normalised) address itself, as for IPv4; for an IPv6 address,
    its /64 network (an ipaddress.IPv6Network)."""
    if ":" not in (ip or ""):
        return None                      # IPv4, or no address: no import
    import ipaddress
    try:
        return ipaddress.ip_network("%s/%d" % (ip, SENDER_PREFIX_IPV6), strict=False)
    except ValueError:
        return None


def sender_name(ip):
    """The sender as the activity log names it: `2001:db8:0:1::/64` or the address."""
    return str(sender_network(ip) or ip)


def from_sender(ip, network):
    """True when the stored address `ip` is in the sender network `network`."""
    import ipaddress
    try:
        return ipaddress.ip_address(ip) in network
    except ValueError:
        return False


def network_text_prefix(network):
    """The start that the short form (normalize_address) of every address in
    the IPv6 `network` has: its leading hextets up to the first zero one, which
    is where `::` may begin (`2001:db8:0:1::/64` gives `2001:db8:`). A store
    narrows its rows with it before from_sender tests each."""
    hextets = network.network_address.exploded.split(":")[:network.prefixlen // 16]
    written = []
    for hextet in hextets:
        if int(hextet, 16) == 0:
            break
        written.append("%x" % int(hextet, 16))
    return "".join(hextet + ":" for hextet in written)


def ip_is_banned(ip, bans):
    """Bans are exact addresses, MT-style IPv4 prefixes ending in '.'
    (`192.168.`) or CIDR ranges (IPv4 or IPv6). Matched as addresses, never as
    patterns; the address is normalised first (normalize_address), so no other
    spelling of a banned address passes. An IPv6 prefix stored before they were
    refused (`2001:db8::`) is the network of the hextets it writes
    (_ipv6_prefix_network), which every spelling of its addresses is in."""
    ip = normalize_address(ip)
    for ban in bans:
        ban = ban.strip()
        if not ban:
            continue
        if "/" in ban:
            if _in_network(ip, ban):
                return True
        elif ban.endswith(":") and _ipv6_prefix_network(ban):
            if _in_network(ip, _ipv6_prefix_network(ban)):
                return True
        elif ban.endswith((".", ":")):
            if ip.lower().startswith(ban.lower()):
                return True
        elif _same_address(ip, ban):
            return True
    return False


def _ipv6_prefix_network(prefix):
    """`2001:db8:` or `2001:db8::` as the network it begins, `2001:db8::/32`;
    None when the text is not leading hextets (`2001::1:`, `::`)."""
    hextets = prefix.rstrip(":").split(":")
    if not 0 < len(hextets) < 8 or not all(0 < len(hextet) <= 4 and all(
            char in "0123456789abcdefABCDEF" for char in hextet) for hextet in hextets):
        return None
    return "%s::/%d" % (":".join(hextets), 16 * len(hextets))


def _same_address(ip, ban):
    if ip == ban:
        return True
    if ":" in ip or ":" in ban or "[" in ban:   # IPv6 has several spellings of one address
        return ip == normalize_address(ban)
    return False


def _in_network(ip, cidr):
    import ipaddress
    try:
        address = ipaddress.ip_address(ip)
        network = ipaddress.ip_network(cidr, strict=False)
        if address.version == 4 and network.version == 6:   # ::ffff:127.0.0.0/104
            address = ipaddress.IPv6Address("::ffff:" + ip)
        return address in network
    except ValueError:
        return False


def ban_problem(text):
    """Why `text` cannot be a ban, or None when ip_is_banned understands it:
    an address, an IPv4 prefix (`192.168.`) or a CIDR range. An IPv6 prefix is
    refused: `2001:db8::` is an address too, and says nothing of how much of
    the network it means; the message offers the CIDR range it would begin."""
    import ipaddress
    text = text.strip()
    if text.endswith(":"):
        network = _ipv6_prefix_network(text)
        return "An IPv6 range needs its length in CIDR notation: %s (a /64 is one subscriber's network)" % (
            network or "such as 2001:db8::/32")
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=False)
            return None
        if text.endswith("."):
            octets = text[:-1].split(".")
            if len(octets) <= 3 and all(octet.isdigit() and octet.isascii() and int(octet) < 256 for octet in octets):
                return None
            raise ValueError(text)
        ipaddress.ip_address(text)
        return None
    except ValueError:
        return "Not an address, prefix (192.168.) or CIDR range: %r" % text


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

