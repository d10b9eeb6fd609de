"""The TrackBack pings a weblog received: listed (all of the weblog's, or those
of one entry or category), deleted after a confirmation, held ones released,
and a ping's sender banned."""

from mtpy.actions import ActionError
from mtpy.apps.base import HTTPError
from mtpy.apps.cms.screen import mode

PAGE_SIZE = 50
NOTHING_SELECTED = "Select at least one ping first."


@mode("pings", permission="edit_all")
def pings(screen):
    return _list(screen)


@mode("ping_delete", permission="edit_all", methods=("POST",))
def ping_delete(screen):
    """The first POST (from the list) shows what will be deleted; the second,
    with `confirmed`, deletes."""
    from mtpy.actions.pings import delete_pings
    selected = _selected(screen)
    if not selected:
        return _list(screen, errors={None: NOTHING_SELECTED})
    if screen.request.form.get("confirmed") != "1":
        return screen.render("ping_delete.html", pings=selected, subject=_subject_params(screen),
                             page=_page(screen), active="pings")
    try:
        with screen.store.transaction():
            screen.jobs += delete_pings(screen.store, screen.config, screen.blog, [ping.id for ping in selected],
                                        author=screen.author, ip=screen.request.remote_addr)
    except ActionError as error:
        return _list(screen, errors={None: error.message})
    return screen.redirect("pings", blog_id=screen.blog.id, saved="deleted", **_subject_params(screen))


@mode("ping_release", permission="edit_all", methods=("POST",))
def ping_release(screen):
    from mtpy.actions.pings import release_pings
    selected = _selected(screen)
    if not selected:
        return _list(screen, errors={None: NOTHING_SELECTED})
    held = [ping for ping in selected if not ping.visible]
    if not held:
        return _list(screen, errors={None: "None of the selected pings is held: they are all visible already."})
    try:
        with screen.store.transaction():
            screen.jobs += release_pings(screen.store, screen.config, screen.blog, [ping.id for ping in held],
                                         author=screen.author, ip=screen.request.remote_addr)
    except ActionError as error:
        return _list(screen, errors={None: error.message})
    return screen.redirect("pings", blog_id=screen.blog.id, saved="released", page=_page(screen),
                           **_subject_params(screen))


@mode("ping_ban", permission="bans", methods=("POST",))
def ping_ban(screen):
    """Ban the address one ping came from (`ban_id`), in this weblog."""
    from mtpy.actions.pings import ban_sender
    ping = _ping(screen, screen.request.form.get("ban_id"))
    if ping is None:
        raise HTTPError(404, "No such ping in this weblog.")
    try:
        with screen.store.transaction():
            ban_sender(screen.store, screen.blog, ping, author=screen.author, ip=screen.request.remote_addr)
    except ActionError as error:
        return _list(screen, errors={None: error.message})
    return screen.redirect("pings", blog_id=screen.blog.id, saved="banned", page=_page(screen),
                           **_subject_params(screen))


# -- the list ------------------------------------------------------------------

def _list(screen, errors=None):
    """The list page (also answers a refused POST, with `errors`)."""
    from mtpy.models import IPBan
    from mtpy.trackback.rules import ip_is_banned
    store, blog = screen.store, screen.blog
    subject, item = _subject(screen)
    if item is not None:
        total = store.count_pings(item.id, visible_only=False)
    elif subject is None:
        total = store.count_blog_pings(blog.id, visible_only=False)
    else:
        total = 0           # an entry or category that never had a TrackBack item
    page, pages, offset = screen.paging(total, PAGE_SIZE)
    found = []
    if item is not None or subject is None:
        found = store.list_pings(tb_id=item.id if item is not None else None,
                                 blog_id=blog.id if item is None else None, visible_only=False,
                                 newest_first=True, limit=PAGE_SIZE, offset=offset)
    bans = [ban.ip for ban in store.find(IPBan, blog_id=blog.id)]
    targets = _targets(screen, found)
    rows = [{"ping": ping, "target": targets.get(ping.tb_id), "banned": bool(ping.ip) and ip_is_banned(ping.ip, bans)}
            for ping in found]
    return screen.render("pings.html", rows=rows, subject=subject, params=_subject_params(screen), page=page,
                         pages=pages, total=total, errors=errors or {}, active="pings")


def _subject(screen):
    """(the entry or category asked for, or None for the whole weblog; its
    TrackBack item or None). One of another weblog is not found."""
    from mtpy.models import Category, Entry
    entry = screen.weblog_record(Entry, "entry_id", "entry")
    if entry is not None:
        return {"entry": entry}, screen.store.trackback_for(entry=entry)
    category = screen.weblog_record(Category, "category_id", "category")
    if category is not None:
        return {"category": category}, screen.store.trackback_for(category=category)
    return None, None


def _subject_params(screen):
    """The list's own filter, carried through its forms and redirects."""
    return {name: screen.int_param(name) for name in ("entry_id", "category_id")
            if screen.int_param(name) is not None}


def _page(screen):
    return max(1, screen.int_param("page") or 1)


def _targets(screen, pings):
    """{TrackBack item id: (kind, label, edit URL)} of what these pings pinged."""
    from mtpy.models import Category, Entry, Trackback
    store = screen.store
    items = store.find_in(Trackback, "id", sorted({ping.tb_id for ping in pings}))
    entries = {entry.id: entry for entry in
               store.find_in(Entry, "id", sorted({item.entry_id for item in items if item.entry_id is not None}))}
    categories = {category.id: category for category in store.find_in(
        Category, "id", sorted({item.category_id for item in items if item.category_id is not None}))}
    targets = {}
    for item in items:
        if item.entry_id is not None and item.entry_id in entries:
            entry = entries[item.entry_id]
            targets[item.id] = ("Entry", entry.title or "Untitled entry",
                                screen.url("entry_edit", blog_id=screen.blog.id, entry_id=entry.id),
                                screen.url("pings", blog_id=screen.blog.id, entry_id=entry.id))
        elif item.category_id in categories:
            category = categories[item.category_id]
            targets[item.id] = ("Category", category.label or "Untitled category",
                                screen.url("category_edit", blog_id=screen.blog.id, category_id=category.id),
                                screen.url("pings", blog_id=screen.blog.id, category_id=category.id))
    return targets


def _selected(screen):
    """The pings whose ids came as repeated `id` fields, each once; an id
    that is no ping of this weblog is answered 404."""
    selected = {}
    for value in screen.request.form.getlist("id")[:1000]:
        ping = _ping(screen, value)
        if ping is None:
            raise HTTPError(404, "No such ping in this weblog.")
        selected.setdefault(ping.id, ping)
    return list(selected.values())


def _ping(screen, value):
    from mtpy.models import Ping
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 18:
        return None
    ping = screen.store.get(Ping, int(value))
    return ping if ping is not None and ping.blog_id == screen.blog.id else None
