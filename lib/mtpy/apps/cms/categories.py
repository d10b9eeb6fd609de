"""Categories: the list, adding and editing one (with the TrackBack URL its
owner hands out), deleting one."""

from mtpy.actions import ActionError
from mtpy.apps.cms.base import HTTPError
from mtpy.apps.cms.screen import mode

TEXT_FIELDS = ("label", "description", "passphrase")


@mode("categories", permission="categories")
def categories(screen):
    from mtpy.models import Category, Trackback
    store, blog = screen.store, screen.blog
    listed = store.find(Category, blog_id=blog.id, order_by="label")
    items = {item.category_id: item for item in store.find_in(Trackback, "category_id", [c.id for c in listed])}
    counts = store.ping_counts(blog.id, [item.id for item in items.values()]) if items else {}
    rows = [{"category": category,
             "pings": counts.get(items[category.id].id, 0) if category.id in items else 0}
            for category in listed]
    return screen.render("categories.html", rows=rows, values={"label": "", "description": ""}, errors={},
                         active="categories")


def _category(screen):
    """The category of `category_id` in this weblog (404 otherwise); None when
    no category_id is given."""
    from mtpy.models import Category
    return screen.weblog_record(Category, "category_id", "category")


@mode("category_edit", permission="categories", methods=("GET", "POST"))
def category_edit(screen):
    """A new category (no category_id; the list's short form posts here too)
    or a change to one."""
    from mtpy.actions.categories import save_category
    category = _category(screen)
    errors = {}
    if category is None:
        values = {"label": "", "description": "", "passphrase": "", "allow_pings": False, "ping_urls": ""}
    else:
        values = {field: getattr(category, field) for field in TEXT_FIELDS}
        values.update(allow_pings=category.allow_pings, ping_urls="\n".join(category.ping_urls))
    if screen.request.method == "POST":
        form = screen.request.form
        # The list's short form sends a label and a description only.
        fields = [name for name in TEXT_FIELDS + ("ping_urls",) if name in form]
        values.update({name: form.get(name) for name in fields})
        changes = {name: form.get(name) for name in fields}
        if form.get("full") == "1":
            values["allow_pings"] = changes["allow_pings"] = form.get("allow_pings") == "1"
        try:
            with screen.store.transaction():
                done = save_category(screen.store, screen.config, screen.blog, category, changes,
                                     author=screen.author)
        except ActionError as error:
            errors[error.field] = error.message
        else:
            screen.jobs += done
            notice = "published" if done.job_ids else ("created" if category is None else "saved")
            return screen.redirect("category_edit", blog_id=screen.blog.id, category_id=done.record.id,
                                   saved=notice)
    return screen.render("category_edit.html", category=category, values=values, errors=errors,
                         ping_url=_ping_url(screen, category), active="categories")


def _ping_url(screen, category):
    """The category's TrackBack URL as its owner hands it out (with the
    passphrase), or None when it does not accept pings."""
    from mtpy.urls import category_ping_url
    if category is None or not category.allow_pings:
        return None
    item = screen.store.trackback_for(category=category)
    if item is None or item.is_disabled:
        return None
    return category_ping_url(screen.config, item, category, screen.blog)


@mode("category_delete", permission="categories", methods=("GET", "POST"))
def category_delete(screen):
    """GET asks first (saying what goes with it); POST deletes."""
    from mtpy.actions.categories import delete_category
    from mtpy.models import Entry
    category = _category(screen)
    if category is None:
        raise HTTPError(404, "No such category in this weblog.")
    store = screen.store
    if screen.request.method == "POST":
        with store.transaction():
            done = delete_category(store, screen.config, screen.blog, category, author=screen.author,
                                   ip=screen.request.remote_addr)
        screen.jobs += done
        return screen.redirect("categories", blog_id=screen.blog.id, saved="deleted")
    item = store.trackback_for(category=category)
    ping_count = store.count_pings(item.id, visible_only=False) if item is not None else 0
    entry_count = sum(1 for entry in store.find(Entry, blog_id=screen.blog.id) if category.id in entry.category_ids)
    return screen.render("category_delete.html", category=category, ping_count=ping_count,
                         entry_count=entry_count, active="categories")
