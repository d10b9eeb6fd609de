"""`ID.xml` feeds, written so that a failure never fails what changed the pings.

A feed is `<archive path>/<id>.xml`: the item's newest pings as the
TrackBack envelope's RSS (mtpy.trackback.envelope.rss), for readers.

A feed is a copy of what the store holds, so a failed write (a read-only or full
archive folder) never fails the ping: the ping is stored and answered, the
failure goes to the log and into `<DataSource>/unwritten-feeds.txt`, which
`mtpy check` and mt-check.cgi show. The next ping whose feed is written, and
`mtpy rebuild`, write the listed ones again and clear them. Standard library only (mt-check.cgi).
"""

import os

from mtpy.publish import feed_folder

RECORD = "unwritten-feeds.txt"
FEED_SIZE = 10      # the newest pings a feed lists


def record_path(config):
    return os.path.join(config.get("DataSource"), RECORD)


def unwritten(config):
    """[(item id, feed path, UTC time, error)] of the feeds that could not be written."""
    try:
        with open(record_path(config), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, ValueError):
        return []
    found = []
    for line in lines:
        parts = line.split("\t")
        if len(parts) == 4 and parts[0].isdigit():
            found.append((int(parts[0]), parts[1], parts[2], parts[3]))
    return found


def feed_path(blog, item):
    """The item's `ID.xml` file."""
    return os.path.join(feed_folder(blog), "%d.xml" % item.id)


def write_file(store, blog, item):
    """Replace `<archive path>/<id>.xml` with the item's newest pings, newest first.

    Call inside a store transaction (mtpy.actions.pings writes it in the one
    that changed the pings, just before its commit), so that concurrent pings
    cannot finish in the wrong order and leave an older list."""
    from mtpy.fileutil import write_atomic
    from mtpy.trackback.envelope import rss
    if not feed_folder(blog):
        return None
    pings = store.list_pings(tb_id=item.id, newest_first=True, limit=FEED_SIZE)
    path = feed_path(blog, item)
    write_atomic(path, rss(item, pings, for_readers=True, link=feed_link(store, blog, item)) + "\n",
                 durable=False)  # rebuildable: no fsync on the ping path
    return path


def feed_link(store, blog, item):
    """The page a feed is about (its <link>): the item's url, which the store
    keeps as the entry's or category's page when it saves one; for a category
    last saved before the store kept it there, its archive page's URL, found
    here (dirifying its label costs the ping path `re`: only for those)."""
    if item.url or item.category_id is None:
        return item.url
    from mtpy.models import Category
    from mtpy.urls import category_archive_url
    category = store.get(Category, item.category_id)
    return category_archive_url(blog, category) if category is not None else ""


def write_feed(store, config, blog, item):
    """write_file, in the transaction that changed the item's pings, just
    before its commit; a failure is logged and listed rather than raised.
    Once a feed is written, the listed ones are written again."""
    listed = unwritten(config)
    try:
        write_file(store, blog, item)
    except OSError as error:
        note_unwritten(config, blog, item, error, listed)
        return
    if listed:
        _keep(config, _write_again(store, [entry for entry in listed if entry[0] != item.id]))


def note_unwritten(config, blog, item, error, listed=None):
    """Log and list a feed that could not be written (mt-check.cgi shows the
    list; the next ping or rebuild writes it)."""
    from mtpy import dates, web
    path = feed_path(blog, item)
    web.log_error(config.get("LogFile"), "The ping is stored, but its feed %s could not be written: %s"
                  % (path, error))
    reason = " ".join(str(error).split())
    listed = unwritten(config) if listed is None else listed
    _keep(config, [entry for entry in listed if entry[0] != item.id] + [(item.id, path, dates.utc_now(), reason)])


def write_unwritten(store, config, blog=None):
    """Write the listed feeds again, and with `blog` every feed of that weblog
    (a rebuild: a feed left behind by a process that died after its commit
    then shows what the store holds); those that cannot be written stay listed."""
    listed = unwritten(config)
    if blog is not None and config.get("GenerateTrackBackRSS"):
        from mtpy.models import Trackback
        known = {entry[0] for entry in listed}
        listed += [(item.id, "", "", "") for item in store.find(Trackback, blog_id=blog.id) if item.id not in known]
    if listed:
        _keep(config, _write_again(store, listed))


def _write_again(store, listed):
    """The listed feeds that still cannot be written."""
    from mtpy.models import Blog, Trackback
    left = []
    for entry in listed:
        item = store.get(Trackback, entry[0])
        blog = store.get(Blog, item.blog_id) if item is not None else None
        if blog is None:
            continue    # deleted since: nothing to write
        try:
            write_file(store, blog, item)
        except OSError:
            left.append(entry)
    return left


def _keep(config, entries):
    from mtpy.fileutil import DATA, write_atomic
    path = record_path(config)
    try:
        if entries:
            write_atomic(path, "".join("%d\t%s\t%s\t%s\n" % entry for entry in entries), kind=DATA,
                         durable=False)
        elif os.path.exists(path):
            os.unlink(path)
    except OSError:
        pass    # the data folder is unwritable too: the log has it
