"""Judging a new ping: cheap checks that each add to a score, with a reason a
weblog owner understands. A score of JUNK_SCORE or more is junk; any score
above 0 is suspicious (held for approval where the weblog holds suspicious
pings). See mtpy.actions.receive for what follows.

On the ping path: no `re`, no `json`; a ping is judged with a few string
operations and three indexed queries.
"""

from mtpy import dates
from mtpy.addresses import sender_name

JUNK_SCORE = 3.0

# Links in the excerpt: the first is free (a weblog may link its post), each
# further one adds LINK_SCORE: 2 links are suspicious, 4 are junk.
FREE_LINKS = 1
LINK_SCORE = 1.0
# A word of the owner's block list in the title, excerpt, weblog name or source
# URL, or a listed domain that is the source's host or one of its parents:
# junk on its own.
BLOCKED_WORD_SCORE = JUNK_SCORE
BLOCKED_DOMAIN_SCORE = JUNK_SCORE
# This many pings (this one included) in FLOOD_SECONDS from one sender (an
# address; for IPv6 its /64), or from one source host, to the weblog: suspicious.
FLOOD_PINGS = 4
FLOOD_SECONDS = 3600
FLOOD_SCORE = 1.0
# How far a flood is counted for its reason ("100 or more pings..."): a ping
# in a flood of thousands costs no more to judge than one in a flood of 100.
FLOOD_COUNTED = 100
# A source URL the owner (or the checks) already junked on this weblog.
JUNKED_SOURCE_SCORE = JUNK_SCORE


def ping_state(ping):
    """"published" (shown), "junk", or "held" (awaiting approval, or its
    link-back check)."""
    if ping.visible:
        return "published"
    return "junk" if ping.junk else "held"


def moderation_holds(blog, score):
    """Whether the weblog's moderation keeps a ping that is not junk for
    approval: it holds every ping, or suspicious ones and this one scored. The
    one rule of a new ping (mtpy.actions.receive) and of one whose link-back
    check found the link (mtpy.actions.linkback)."""
    return blog.moderate_pings == "all" or (blog.moderate_pings == "suspicious" and score > 0)


def judge(store, blog, ping, now=None, stored=True):
    """(score, reasons) for a ping: one already stored counts among the recent
    pings; one about to be (`stored` False: a new ping is judged before its
    INSERT, which then writes its verdict) is added to them. `now`: the stored
    UTC time the recent pings are counted back from (default: the clock)."""
    since = dates.days_before(now, FLOOD_SECONDS / 86400.0) if now else dates.utc_now(-FLOOD_SECONDS)
    itself = 0 if stored else 1
    score, reasons = 0.0, []

    def add(points, reason):
        nonlocal score
        score += points
        reasons.append(reason)

    links = len(excerpt_links(ping.excerpt))
    if links > FREE_LINKS:
        add(LINK_SCORE * (links - FREE_LINKS), "%d links in the excerpt" % links)
    host = source_host(ping.source_url)
    words = [word.lower() for word in blog.junk_words or () if word]
    domain = domain_listed(host, words)
    if domain:
        add(BLOCKED_DOMAIN_SCORE, "the block list has the domain %s" % domain)
    text = " ".join((ping.title or "", ping.excerpt or "", ping.blog_name or "")).lower()
    url = (ping.source_url or "").lower()
    for word in words:
        if word != domain and (word in text or "." not in word and word in url):
            add(BLOCKED_WORD_SCORE, "the block list has '%s'" % word)
    if ping.ip:
        count = store.count_pings_since(blog.id, since, ip=ping.ip, at_most=FLOOD_COUNTED) + itself
        if count >= FLOOD_PINGS:
            add(FLOOD_SCORE, _flood_reason(count, sender_name(ping.ip)))
    if host and host != ping.ip:     # an address as the host: counted just above
        count = store.count_pings_from_host_since(blog.id, host, since, at_most=FLOOD_COUNTED) + itself
        if count >= FLOOD_PINGS:
            add(FLOOD_SCORE, _flood_reason(count, host))
    if store.junk_source_seen(blog.id, ping.source_url):
        add(JUNKED_SOURCE_SCORE, "a source already marked junk on this weblog")
    return score, reasons


def _flood_reason(count, sender):
    if count >= FLOOD_COUNTED:
        return "%d or more pings from %s in the last hour" % (FLOOD_COUNTED, sender)
    return "%d pings from %s in the last hour" % (count, sender)


def is_junk(score):
    """A score of JUNK_SCORE or more: junk."""
    return score >= JUNK_SCORE


# What ends a link in text or markup: spaces, quotes, brackets, and the `=` of
# href= or BBCode's [url=...].
_LINK_ENDS = {ord(char): " " for char in "\"'<>[]()={}|\\^`\t\n\r\f\v"}


def excerpt_links(text):
    """The distinct links (http://, https://, www.) in a text or its markup,
    lower-cased: `<a href="http://x/">http://x/</a>` is one link."""
    found = set()
    for word in (text or "").lower().translate(_LINK_ENDS).split():
        for start in (word.find("http://"), word.find("https://"), word.find("www.")):
            if start >= 0:
                link = word[start:]
                found.add(link.partition("://")[2] if "://" in link else link)
                break
    return found


def source_host(url):
    """The host of a URL, lower-cased, without port, brackets, credentials or a
    final dot; "" when there is none."""
    rest = (url or "").strip().partition("://")[2]
    for end in "/?#":
        rest = rest.split(end, 1)[0]
    rest = rest.rpartition("@")[2]
    if rest.startswith("["):
        host = rest[1:].partition("]")[0]
    else:
        host = rest.partition(":")[0]
    return host.lower().rstrip(".")


def domain_listed(host, words):
    """The entry of the block list `words` that names this host or one of its
    parent domains (`spam.example` lists `www.spam.example`, never
    `notspam.example`), or None. Entries without a dot are words, not domains; an
    address is listed only as itself."""
    host = (host or "").lower().rstrip(".")
    if not host:
        return None
    is_address = ":" in host or host.replace(".", "").isdigit()
    for word in words or ():
        domain = word.lower().strip().lstrip("*").strip(".")
        if "." not in domain and ":" not in domain:
            continue
        if host == domain or (not is_address and host.endswith("." + domain)):
            return word
    return None
