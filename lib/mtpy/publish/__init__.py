"""Publishing: the Jinja2 environment, views of records for templates, pages,
`ID.xml` feeds, and the republishing jobs.

Here, the questions that decide what a change publishes, which actions ask on
the ping path too (so the package's face imports nothing heavier than
mtpy.models): has the weblog been built (is_published), does a republish
already wait that will show the change (republish_waiting), and where do its
`ID.xml` feeds go (feed_folder).
"""

import os

from mtpy import dates
from mtpy.models import Job


def is_published(blog):
    """A weblog is republished after a change only once it has been built:
    it has a site folder holding its index page (`mtpy rebuild` made it)."""
    return bool(blog.site_path) and os.path.exists(os.path.join(blog.site_path, "index.html"))


def feed_folder(blog):
    """Where a weblog's `ID.xml` feeds go: its archive folder, else its site
    folder; "" when it has neither (no feeds)."""
    return blog.archive_path or blog.site_path


def republish_waiting(store, subject):
    """True when a republish of this entry or category (`subject`: entry_id or
    category_id) is queued, not yet claimed, and recent: it will read the pings
    once claimed, after the caller's transaction, so a ping stored in that
    transaction needs no job of its own. (Claims and pings are both store
    transactions, so one is wholly before the other.) An unclaimed job older
    than WAITING_SECONDS is one whose process died: it does not count."""
    since = dates.utc_now(-WAITING_SECONDS)
    # On the ping path: only the jobs not yet claimed (failed mail kept for
    # `mtpy work --list` is not read on every ping).
    for job in store.find(Job, attempts=0):
        if (job.kind == "republish_pings" and job.created_on >= since
                and all(job.payload.get(key) == value for key, value in subject.items())):
            return True
    return False


WAITING_SECONDS = 10
