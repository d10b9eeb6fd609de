"""Pings put straight into a site's store, for the moderation screens' tests
and screenshots: any address, any state, any text."""

from mtpy.models import Ping

STATES = ("Shown", "Held", "Junk")
# The address several of thirty_pings' pings come from: one sender among many.
REPEATED_SENDER = "198.51.100.7"


def store_ping(site, item, **values):
    """A ping of the site's weblog to `item`, stored as given (created_on defaulted)."""
    store = site.store()
    try:
        values.setdefault("created_on", "2026-11-25 08:00:00")
        ping = Ping(blog_id=site.blog.id, tb_id=item.id, **values)
        store.insert(ping)
    finally:
        store.close()
    return ping


def stored_pings(site):
    store = site.store()
    try:
        return store.list_pings(blog_id=site.blog.id, visible_only=False)
    finally:
        store.close()


def thirty_pings(site, item=None):
    """30 pings of mixed states to the site's entry: "Shown n", "Held n",
    "Junk n" by n % 3 (n from 0), "Withdrawn 28"; from "Weblog n" at
    198.51.100.(100 + n), every fifth from REPEATED_SENDER; newest last."""
    made = []
    for n in range(30):
        state = "Withdrawn" if n == 28 else STATES[n % 3]
        made.append(store_ping(
            site, item or site.item, title="%s %d" % (state, n), blog_name="Weblog %d" % n,
            excerpt="Ping number %d, a few words of what the page says about this entry." % n,
            source_url="http://weblog%d.example/2026/11/post-%d.html" % (n, n),
            ip=REPEATED_SENDER if n % 5 == 0 else "198.51.100.%d" % (100 + n),
            created_on="2026-11-25 08:%02d:00" % n, visible=state == "Shown", junk=state == "Junk",
            withdrawn=state == "Withdrawn", junk_score=1.0 if state == "Held" else 3.0 if state == "Junk" else 0.0,
            junk_reasons=["2 links in the excerpt"] if state == "Held" else
            ["the block list has 'casino'"] if state == "Junk" else []))
    return made


def act_on_rows(page, approve, junk, delete):
    """Approve, junk and delete one ping each by its row's own button, found by
    its accessible name ("Approve the ping “TITLE” from WEBLOG"): each a
    (title, weblog) pair. Every step's message is checked."""
    name = "%s the ping \u201c%s\u201d from %s"
    page.get_by_role("button", name=name % (("Approve",) + approve)).click()
    assert "The pings are visible now." in page.content()
    page.get_by_role("button", name=name % (("Junk",) + junk)).click()
    assert "Marked 1 ping as junk" in page.content()
    page.get_by_role("button", name=name % (("Delete",) + delete)).click()
    page.get_by_role("button", name="Delete 1 ping").click()
    assert "Deleted." in page.content()
