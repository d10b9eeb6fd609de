"""Categories: saving, deleting, and the TrackBack URL an owner hands out."""

from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.actions.authors import typed_copy
from mtpy.actions.values import flag, url_list
from mtpy.models import Category, Entry, Ping, Trackback
from mtpy.publish import is_published

FIELDS = ("label", "description", "allow_pings", "passphrase", "ping_urls")
# Shown on the pages of the entries filed in it, and its archive's.
SHOWN_ON_PAGES = ("label", "description")
# What changes the pages without being printed as typed: whether (and how) the
# category's ping URL is published (a protected one shows none).
CHANGES_PAGES = SHOWN_ON_PAGES + ("allow_pings", "passphrase")
LABEL_LIMIT = 100      # Movable Type's too; the archive's file name is made from it


def save_category(store, config, blog, category, values, author=None):
    """Save a new category (`category` None, or without an id) or change one
    of `blog`: a label, unique in the weblog, is required; `ping_urls`
    (outbound, one per line or a list) are http(s). Returns Done(category,
    changed fields, jobs): a change to what the pages show of an existing
    category (label, description, whether and how it takes pings) queues a
    full rebuild."""
    category, values, is_new = typed_copy(store, author, blog, Category, category, values, FIELDS, SHOWN_ON_PAGES)
    before = category.as_dict()
    for field in ("label", "description", "passphrase"):
        if field in values:
            setattr(category, field, (values[field] or "").strip())
    if "allow_pings" in values:
        category.allow_pings = flag(values["allow_pings"])
    if "ping_urls" in values:
        category.ping_urls = url_list(values["ping_urls"], "ping_urls")
    if not category.label:
        raise ActionError("A category needs a label", "label")
    if len(category.label) > LABEL_LIMIT:
        raise ActionError("A category's label can be %d characters at most (this one has %d)"
                          % (LABEL_LIMIT, len(category.label)), "label")
    if "/" in category.passphrase or any(ord(character) < 32 for character in category.passphrase):
        # mt-tb.cgi reads the passphrase as the ping URL's last path segment
        raise ActionError("A passphrase cannot contain / or control characters", "passphrase")
    if any(other.id != category.id for other in store.find(Category, blog_id=blog.id, label=category.label)):
        raise ActionError("Weblog %d already has a category %r" % (blog.id, category.label), "label")
    if is_new:
        category.id = None
        category.blog_id = blog.id
        if author is not None and category.author_id is None:
            category.author_id = author.id
    changed = [field for field in FIELDS if getattr(category, field) != before[field]]
    with store.transaction():
        store.save(category)
        job_ids = []
        if not is_new and is_published(blog) and any(field in CHANGES_PAGES for field in changed):
            job_ids.append(store.enqueue("rebuild_weblog", {"blog_id": blog.id}).id)
    return Done(category, changed, job_ids)


def delete_category(store, config, blog, category, author=None, ip=""):
    """Delete a category: its entries stay (filed elsewhere or nowhere); its
    TrackBack item and pings go. Queues a full rebuild."""
    if category.blog_id != blog.id:
        raise ActionError("Category %s is not in weblog %d" % (category.id, blog.id))
    with store.transaction():
        for entry in store.find(Entry, blog_id=blog.id):
            if category.id in entry.category_ids:
                entry.category_ids = [number for number in entry.category_ids if number != category.id]
                store.save(entry)
        for item in store.find(Trackback, category_id=category.id):
            for ping in store.list_pings(tb_id=item.id, visible_only=False):
                store.delete(Ping, ping.id)
            store.delete(Trackback, item.id)
        store.delete(Category, category.id)
        record(store, "delete", "Deleted category %d: %s" % (category.id, category.label), blog.id, author, ip)
        job_ids = [store.enqueue("rebuild_weblog", {"blog_id": blog.id}).id] if is_published(blog) else []
    return Done(category, ["id"], job_ids)

