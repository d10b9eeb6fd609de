"""The demo weblog of `make run`: created once, its URLs refreshed for the port at
each start (so printed URLs always work)."""

import os

from mtpy.config import Config
from mtpy.models import Author, Blog, Category, Entry
from mtpy.store import open_store
from mtpy.urls import ping_url, popup_url, script_url

DEMO_ENTRIES = [
    ("Welcome to mtpy", "<p>This weblog accepts TrackBack pings. Send one to this entry's ping URL.</p>", True),
    ("A movie I just saw", "<p>Write about it on <em>your</em> weblog and ping this entry.</p>", True),
    ("Notes to self", "<p>This entry does not accept pings.</p>", False),
]


def make_demo(config_path, host, port, archive_folder, template_folder):
    """Create or refresh the demo; returns lines for the user."""
    base = "http://%s:%d/" % (host, port)
    folder = os.path.dirname(os.path.abspath(config_path))
    os.makedirs(folder, exist_ok=True)
    os.makedirs(archive_folder, exist_ok=True)
    # The installation's tmpl/ when it has one (a checkout does; a wheel has only
    # the shipped templates).
    template_line = ("TemplatePath %s\n" % os.path.abspath(template_folder)
                     if os.path.isdir(template_folder) else "")
    with open(config_path, "w", encoding="utf-8") as handle:
        handle.write("# Written by `mtpy demo` at each start; edit a copy for real use.\n"
                     "CGIPath %scgi-bin/\nDataSource data\n%sMailTransfer debug\n"
                     "LogFile mtpy.log\n" % (base, template_line))
    config = Config(config_path)
    created = not os.path.isdir(config.get("DataSource"))
    store = open_store(config, create=created)
    blogs = store.find(Blog)
    if blogs:
        blog = blogs[0]
    else:
        author = Author(name="Melody", email="melody@example.invalid", is_admin=True)
        store.save(author)
        blog = Blog(name="mtpy demo weblog", description="Trying TrackBack with mtpy.",
                    email_new_pings=False)
        _place(blog, base, archive_folder)
        store.save(blog)
        category = Category(blog_id=blog.id, label="Movies", allow_pings=True, author_id=author.id)
        store.save(category)
        from mtpy.dates import utc_now
        for title, body, allow_pings in DEMO_ENTRIES:
            store.save(Entry(blog_id=blog.id, author_id=author.id, title=title, body=body,
                             allow_pings=allow_pings, created_on=utc_now(), status="Publish",
                             category_ids=[category.id] if "movie" in title else []))
    _place(blog, base, archive_folder)
    store.save(blog)
    password = _admin_password(store, folder)
    for entry in store.find(Entry, blog_id=blog.id):
        store.save(entry)  # their items' URLs follow the port
    from mtpy.publish.rebuild import Publisher
    with store.rebuild_lock():
        Publisher(store, config, blog).rebuild_all()
    entry = next(e for e in store.find(Entry, blog_id=blog.id) if e.allow_pings)
    item = store.trackback_for(entry=entry)
    ping = ping_url(config, item, blog)
    store.close()
    return [
        "Demo weblog: %s" % base,
        "Ping URL of entry %d (%s): %s" % (entry.id, entry.title, ping),
        "Send it a ping:",
        "  curl -d 'title=Hello&url=http://example.com/post&blog_name=Example&excerpt=Hi' %s" % ping,
        "Then see it: %s?__mode=rss  %s%d.xml  %s" % (
            ping, blog.archive_url, item.id, popup_url(script_url(config), entry_id=entry.id)),
        "Manage the weblog: %s  (log in as Melody, password %s)" % (script_url(config, "AdminScript"), password),
    ]


def _admin_password(store, folder):
    """The demo author's password for mt.cgi: made once, kept beside the demo's
    mt.cfg (only readable by you) and printed at each start."""
    import secrets
    from mtpy.passwords import hash_password
    path = os.path.join(folder, "admin-password.txt")
    author = store.find(Author, name="Melody")[0]
    try:
        with open(path, encoding="utf-8") as handle:
            password = handle.read().strip()
    except OSError:
        password = ""
    if not password or not author.password_hash:
        password = secrets.token_urlsafe(9)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")
        author.password_hash = hash_password(password)
    author.is_admin = True
    store.save(author)
    return password


def _place(blog, base, archive_folder):
    blog.site_url = blog.archive_url = base
    blog.site_path = blog.archive_path = os.path.abspath(archive_folder)
