"""Client addresses: one spelling of each (for bans, throttles, the store and
every display), what counts as one sender, IP bans.

Below the web layer and the protocol alike (mtpy.web reads REMOTE_ADDR with it,
a ping's checks match bans with it), it imports nothing of mtpy; `ipaddress`
only where an address is not plain IPv4, as the ping path mostly gets.
"""


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
