"""mtpy and stock WordPress 6.1 (Debian's) telling each other of links, for
real (make wordpress-check; issue 22's proof, outside make test's minutes).

A mtpy weblog (tests/support/sites.py `Site`, served by lighttpd as an owner
serves it with docs/lighttpd.conf) and a WordPress site (tests/support/
wordpress.py: its own MariaDB, lighttpd and php-cgi, one must-use plugin that
lets it reach 127.0.0.1) on 127.0.0.1, then three flows, each PASS or FAIL with
the reason:

(a) TrackBack, mtpy -> WordPress: an mtpy entry published with a WordPress
    post's TrackBack URL to ping; WordPress lists a trackback from the entry.
(b) Pingback, WordPress -> mtpy: a WordPress post linking to an mtpy entry page,
    its pings sent by WordPress's own cron (do_pings): WordPress discovers the
    page's Pingback server (X-Pingback header, else <link rel="pingback"
    href="...">) and calls pingback.ping; the entry lists the post once mtpy
    has verified that the post links to it.
(c) Pingback, mtpy -> WordPress: an mtpy entry linking to a WordPress post,
    published on a weblog that looks at its links (autodiscover_links): mtpy
    finds the post's X-Pingback and calls pingback.ping; WordPress lists a
    pingback from the entry. WordPress refuses a second trackback or pingback
    from one address within 15 s (its comment flood check), and (a) came from
    127.0.0.1 too: (c) waits that out first.
Before (b), the harness checks that WordPress's pingbacks reach 127.0.0.1 at
all (a stand-in page announcing a Pingback server), so a failing (b) is mtpy's.

mtpy's outbound requests reach 127.0.0.1 only because its mt.cfg says
`OutboundAllowAddresses 127.0.0.1` (as the tests' do). Every request stays on
127.0.0.1; everything started is stopped and removed at the end, within
--timeout seconds. The exit status is 1 when a flow failed.

    python bench/wordpress_check.py [--flows a,b,c] [--timeout 300]
"""

import argparse
import os
import re
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(ROOT, "tests"), os.path.join(ROOT, "lib")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from mtpy.models import Blog, Entry  # noqa: E402
from mtpy.urls import entry_permalink, pingback_url  # noqa: E402
from support.cli import mtpy  # noqa: E402
from support.publishing import rebuild  # noqa: E402
from support.servers import start_lighttpd, stop  # noqa: E402
from support.local_web import LocalWeb  # noqa: E402
from support.sites import Site, pings_of  # noqa: E402
from support.wordpress import WORDPRESS, WordPress, WordPressError  # noqa: E402

FLOWS = ("a", "b", "c")
# mtpy's Pingback verification runs after its answer: how long an entry may
# take to list a verified Pingback.
LISTED_WITHIN = 30
PINGBACK_REGISTERED = (200, "text/xml", '<?xml version="1.0"?>\n<methodResponse><params><param><value><string>'
                       'Registered</string></value></param></params></methodResponse>\n')


class Failed(Exception):
    """A flow did not do what it should; the message says where it stopped."""


class Fixture:
    """The two sites the flows share."""

    def __init__(self, wordpress, site):
        self.wordpress, self.site = wordpress, site

    def mtpy_entry(self, title, body, to_ping_urls=(), published=True):
        """A new entry of the mtpy weblog: (entry, its TrackBack item, its permalink)."""
        entry, item = self.site.add_entry(title=title, body=body, status="Publish" if published else "Draft",
                                          to_ping_urls=list(to_ping_urls), created_on="2026-12-07 10:00:00")
        return entry, item, entry_permalink(self.site.blog, entry)

    def publish(self, entry):
        """Publish a draft as its owner does (`mtpy entry set --status
        Publish`): the pages are rebuilt, then the pings go, before it ends."""
        done = mtpy("entry", "set", "--blog", self.site.blog.id, "--entry", entry.id, "--status", "Publish",
                    config=self.site.config_path, check=False)
        store = self.site.store()
        try:
            return done, store.get(Entry, entry.id)
        finally:
            store.close()


def flow_a(fixture):
    """TrackBack from an mtpy entry to a WordPress post."""
    wordpress = fixture.wordpress
    post = wordpress.publish_post("A WordPress post that mtpy pings by TrackBack", "<p>Waiting for a TrackBack.</p>")
    trackback_url = wordpress.trackback_url(post)
    entry, _, permalink = fixture.mtpy_entry("An mtpy entry that sends a TrackBack", "<p>Pinging WordPress.</p>",
                                             to_ping_urls=[trackback_url], published=False)
    done, entry = fixture.publish(entry)
    if trackback_url not in entry.pinged_urls:
        failure = entry.ping_failures.get(trackback_url, {}).get("error", "no outcome recorded")
        raise Failed("mtpy did not ping %s: %s (mtpy said: %s)" % (trackback_url, failure, done.stderr.strip()))
    listed = _listed(wordpress, post, "trackback", permalink)
    return "WordPress post %d lists a trackback from %s (%s)" % (post, permalink, listed["status"])


def wordpress_pings(fixture):
    """WordPress sends its pingbacks to 127.0.0.1. It pings a stand-in page
    that announces a Pingback server, so that a failing (b) is mtpy's."""
    wordpress = fixture.wordpress
    with LocalWeb() as web:
        server = web.url("/xmlrpc", PINGBACK_REGISTERED)
        page = web.html("/stand-in.html", '<html><head><title>Stand-in</title><link rel="pingback" href="%s">'
                        '</head><body><p>A page</p></body></html>' % server)
        post = wordpress.publish_post("A WordPress post linking to a stand-in", '<a href="%s">a page</a>' % page)
        wordpress.send_pings()
        if not web.posts_to("/xmlrpc") or page not in wordpress.pinged(post):
            raise Failed("WordPress did not ping %s (requests seen: %r)" % (page, web.paths()))
    return "WordPress's pingback reached a stand-in page's server on 127.0.0.1 and counted it done"


def flow_b(fixture):
    """Pingback from a WordPress post to an mtpy entry, by WordPress's own code."""
    wordpress, site = fixture.wordpress, fixture.site
    entry, item, permalink = fixture.mtpy_entry("An mtpy entry that WordPress links to", "<p>Link to me.</p>")
    rebuild(site)
    advertised = _pingback_server(permalink)
    post = wordpress.publish_post("A WordPress post linking to mtpy", '<p>Read <a href="%s">this entry</a>.</p>'
                                  % permalink)
    source = wordpress.permalink(post)
    wordpress.send_pings()
    if permalink not in wordpress.pinged(post):
        if not advertised:
            raise Failed("WordPress found no Pingback server on %s: the page has no X-Pingback header and no "
                         '<link rel="pingback" href="..."> (%s is where it would be)'
                         % (permalink, pingback_url(site.config, site.blog)))
        raise Failed("WordPress called %s but did not count %s as told (an answer other than success or fault 48, "
                     "or none within its 3 s); mtpy's log: %s" % (advertised, permalink, _tail(site.log())))
    deadline = time.monotonic() + LISTED_WITHIN
    while True:
        pings = [ping for ping in pings_of(site, item) if ping.source_url == source]
        if pings and pings[0].visible:
            break
        if time.monotonic() > deadline:
            if not pings:
                raise Failed("WordPress's pingback.ping to %s was answered as a success, but entry %d has no ping "
                             "from %s" % (advertised, entry.id, source))
            ping = pings[0]
            raise Failed("entry %d keeps the pingback from %s hidden after %d s (protocol %s, link-back %r, junk %s)"
                         % (entry.id, source, LISTED_WITHIN, ping.protocol, ping.linkback, ping.junk))
        time.sleep(0.5)
    if pings[0].protocol != "pingback":
        raise Failed("entry %d lists %s as a %s, not a pingback" % (entry.id, source, pings[0].protocol))
    while source not in _get(permalink):       # the page is republished after the check
        if time.monotonic() > deadline:
            raise Failed("entry %d keeps the pingback from %s, shown, but its page %s does not show it after %d s"
                         % (entry.id, source, permalink, LISTED_WITHIN))
        time.sleep(0.5)
    return "entry %d and its page list the pingback from WordPress post %d (%s); server found by %s" % (
        entry.id, post, source, advertised)


def flow_c(fixture):
    """Pingback from an mtpy entry to a stock WordPress post, by mtpy's sending."""
    wordpress, site = fixture.wordpress, fixture.site
    post = wordpress.publish_post("A stock WordPress post that mtpy links to", "<p>Waiting for a Pingback.</p>")
    target = wordpress.permalink(post)
    store = site.store()
    try:
        blog = store.get(Blog, site.blog.id)
        blog.autodiscover_links = True
        store.save(blog)
    finally:
        store.close()
    entry, _, permalink = fixture.mtpy_entry("An mtpy entry linking to WordPress",
                                             '<p>Read <a href="%s">this WordPress post</a>.</p>' % target,
                                             published=False)
    wordpress.wait_out_comment_flood()     # after (a)'s trackback, from the same 127.0.0.1
    done, entry = fixture.publish(entry)
    told = entry.notified_links.get(target)
    comments = [comment for comment in wordpress.comments(post) if comment["author_url"] == permalink]
    if not comments:
        if not told:
            raise Failed("mtpy sent no Pingback for its link to %s (the entry's notified_links: %r; ping failures: "
                         "%r; URLs to ping: %r; mtpy said: %s)" % (target, entry.notified_links, entry.ping_failures,
                                                                   entry.to_ping_urls, done.stderr.strip() or "-"))
        raise Failed("mtpy says it told %s (%r) but WordPress post %d has no comment from %s"
                     % (target, told, post, permalink))
    listed = _listed(wordpress, post, "pingback", permalink)
    return "WordPress post %d lists a pingback from %s (%s); mtpy recorded %r" % (post, permalink, listed["status"],
                                                                                 told)


def _listed(wordpress, post, kind, author_url):
    """WordPress's comment of `kind` on the post from `author_url`, approved or
    held for moderation (stock WordPress holds one from an unknown site)."""
    comments = wordpress.comments(post)
    for comment in comments:
        if comment["author_url"] == author_url and comment["type"] == kind and comment["status"] in ("approve", "hold"):
            return comment
    raise Failed("WordPress post %d has no %s from %s; its comments: %r" % (
        post, kind, author_url, [(c["type"], c["author_url"], c["status"]) for c in comments]))


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode("utf-8", "replace")


def _pingback_server(url):
    """Where the page says its Pingback server is, as WordPress looks
    (discover_pingback_server_uri: the X-Pingback header of a HEAD, else
    rel="pingback" then the next href= in the text); None when nowhere."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10) as answer:
            if answer.headers.get("X-Pingback"):
                return "X-Pingback: %s" % answer.headers["X-Pingback"]
    except urllib.error.URLError:
        pass
    found = re.search(r"""rel=(["'])pingback\1[^>]*?href=(["'])([^"']+)\2""", _get(url))
    return '<link rel="pingback" href="%s">' % found.group(3) if found else None


def _tail(text, size=600):
    return text[-size:].strip() or "(empty)"


def wordpress_version():
    with open(os.path.join(WORDPRESS, "wp-includes", "version.php")) as handle:
        found = re.search(r"\$wp_version = '([^']+)'", handle.read())
    return found.group(1) if found else "?"


class Stopped(BaseException):
    """The whole check ran past --timeout, or was told to stop (SIGTERM): what
    it started is still stopped and removed."""


def _stop(signum, frame):
    raise Stopped("not done within the time given" if signum == signal.SIGALRM else "stopped by signal %d" % signum)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flows", default=",".join(FLOWS), help="which flows, e.g. a,c (default: all)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds for everything, set-up included")
    args = parser.parse_args(argv)
    flows = [flow.strip() for flow in args.flows.split(",") if flow.strip()]
    if any(flow not in FLOWS for flow in flows):
        parser.error("flows are a, b and c")
    signal.signal(signal.SIGALRM, _stop)
    signal.signal(signal.SIGTERM, _stop)
    signal.alarm(args.timeout)
    results = []
    with tempfile.TemporaryDirectory(prefix="wordpress-check-") as folder:
        server = wordpress = None
        try:
            site = Site(os.path.join(folder, "mtpy"), "sqlite", extra_config="OutboundAllowAddresses 127.0.0.1\n")
            wordpress = WordPress(folder)
            rebuild(site)
            server = start_lighttpd(site)
            wordpress.start()
            print("WordPress %s (Debian) on %s, started in %.1f s; mtpy on %s"
                  % (wordpress_version(), wordpress.base, wordpress.started_in, site.base), flush=True)
            fixture = Fixture(wordpress, site)
            checks = (("harness", "WordPress's own pingbacks reach 127.0.0.1", wordpress_pings),
                      ("a", "TrackBack, mtpy -> WordPress", flow_a),
                      ("b", "Pingback, WordPress -> mtpy", flow_b),
                      ("c", "Pingback, mtpy -> WordPress", flow_c))
            for name, title, run in checks:
                if name not in flows and not (name == "harness" and "b" in flows):
                    continue
                began = time.monotonic()
                try:
                    outcome, reason = "PASS", run(fixture)
                except Failed as failure:
                    outcome, reason = "FAIL", str(failure)
                except Exception as error:      # the flow broke: said as its outcome, the others still run
                    outcome, reason = "FAIL", "%s: %s" % (type(error).__name__, error)
                results.append(outcome)
                print("%s (%s) %s [%.1f s]: %s" % (outcome, name, title, time.monotonic() - began, reason), flush=True)
        except Stopped as stopped:
            print("FAIL: %s (--timeout %d)" % (stopped, args.timeout))
            results.append("FAIL")
        except WordPressError as error:
            print("FAIL: the WordPress site could not be set up: %s" % error)
            results.append("FAIL")
        finally:
            signal.alarm(0)
            if server is not None:
                stop(server)
            if wordpress is not None:
                wordpress.stop()
    print("wordpress-check: %d passed, %d failed" % (results.count("PASS"), results.count("FAIL")))
    return 0 if results and "FAIL" not in results else 1


if __name__ == "__main__":
    sys.exit(main())
