"""Publishing a Site's weblog from a test, and reading what a server shows of it."""

from mtpy.config import Config
from mtpy.publish.rebuild import Publisher
from support.http import http
from support.waiting import wait_for

# Publishing's clock here: pages rendered again render the same (this month's
# calendar, today) whatever the day the tests run.
NOW = "2026-11-25 09:00:00"


def publisher(site, store, now=NOW):
    """A Publisher of the site's weblog, publishing as of `now`."""
    return Publisher(store, Config(site.config_path), store.get(type(site.blog), site.blog.id), now=now)


def rebuild(site):
    """Rebuild the whole weblog, as `mtpy rebuild` does; what was written."""
    store = site.store()
    with store.rebuild_lock():
        rebuilt = publisher(site, store).rebuild_all()
    store.close()
    return rebuilt


def wait_for_text(url, text, timeout=20):
    """Whether the page at `url` shows `text` within `timeout` seconds (a
    server's work after its answer writes it)."""
    try:
        return wait_for(lambda: text in http(url).text, timeout, interval=0.1)
    except AssertionError:
        return False
