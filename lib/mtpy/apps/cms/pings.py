"""The pings a weblog received (TrackBack, Pingback, Webmention): listed (all
of the weblog's, or those of one entry or category; all of them or those in one
state: published, held for approval, junk, withdrawn by their source; of one
protocol, of one kind; found by sender address, URL, weblog name or pinged
entry), approved, marked junk or not junk, deleted after a confirmation, old
junk deleted, a sender's pings all approved and a ping's sender banned; the
confirmation a notification mail's links open (nothing changes on a GET)."""

from mtpy.actions import ActionError
from mtpy.apps.cms.base import HTTPError
from mtpy.apps.cms.screen import mode
from mtpy.models import KIND_NAMES, KINDS, PROTOCOL_NAMES, PROTOCOLS

PAGE_SIZE = 50
QUERY_LENGTH = 200      # the longest search text kept
NOTHING_SELECTED = "Select at least one ping first."
# The list's filter: `show` -> its name in the list's tabs.
SHOWN = {"all": "All", "published": "Published", "held": "Held", "junk": "Junk", "withdrawn": "Withdrawn"}
# The list's other filters (query parameters `protocol` and `kind`): value -> words.
PROTOCOL_CHOICES = [("", "Every protocol")] + [(protocol, PROTOCOL_NAMES[protocol]) for protocol in PROTOCOLS]
KIND_CHOICES = [("", "Every kind")] + [(kind, KIND_NAMES[kind]) for kind in KINDS]
# Fixed notices of screen.NOTICES each change redirects with.
APPROVED, JUNKED, UNJUNKED, DELETED = "released", "junked", "unjunked", "deleted"
# What a notification mail's links ask (`do`): the mode the confirmation posts
# to, the states of a ping it applies to, its question, what follows, its button.
CONFIRMED_CHANGES = {
    "approve": ("ping_approve", ("held", "junk"), "Approve this ping?",
                "Approving shows it on the weblog.", "Approve it"),
    "junk": ("ping_junk", ("published", "held", "withdrawn"), "Mark this ping as junk?",
             "Junk is never shown, and the weblog's block list learns its source's domain.", "Mark it as junk"),
    "delete": ("ping_delete", ("published", "held", "junk", "withdrawn"), "Delete this ping? This cannot be undone.",
               "It is removed from the weblog's pages, the TrackBack listings and feeds.", "Delete it"),
}


@mode("pings", permission="edit_all")
def pings(screen):
    return _list(screen)


@mode("ping_release", permission="edit_all", methods=("POST",))    # its older name, in older forms
@mode("ping_approve", permission="edit_all", methods=("POST",))
def ping_approve(screen):
    """Publish the selected pings that are held or junk (not those withdrawn by their source)."""
    from mtpy.actions.pings import approve_pings
    _, refusal = _change(screen, approve_pings, lambda ping: not ping.visible and not ping.withdrawn,
                         "None of the selected pings is held or junk: they are published already, "
                         "or withdrawn by their source.")
    return refusal or _back(screen, saved=APPROVED)


@mode("ping_junk", permission="edit_all", methods=("POST",))
def ping_junk(screen):
    """Mark the selected pings junk; the list then offers to undo it."""
    from mtpy.actions.pings import junk_pings
    changed, refusal = _change(screen, junk_pings, lambda ping: not _is_junk(ping),
                               "The selected pings are all junk already.")
    if refusal:
        return refusal
    was = "published" if all(ping.visible for ping in changed) else "held"
    return _back(screen, saved=JUNKED, undo=",".join(str(ping.id) for ping in changed), was=was)


@mode("ping_unjunk", permission="edit_all", methods=("POST",))
def ping_unjunk(screen):
    """Mark the selected junk pings not junk: held for approval, or published
    with `publish=1` (the undo of a junking that hid published pings)."""
    from mtpy.actions.pings import unjunk_pings
    publish = screen.request.form.get("publish") == "1"
    _, refusal = _change(screen, unjunk_pings, _is_junk, "None of the selected pings is junk.", publish=publish)
    return refusal or _back(screen, saved=UNJUNKED)


@mode("ping_delete", permission="edit_all", methods=("POST",))
def ping_delete(screen):
    """The first POST (from the list) shows what will be deleted; the second,
    with `confirmed`, deletes."""
    from mtpy.actions.pings import delete_pings
    selected = _selected(screen)
    if not selected:
        return _list(screen, errors={None: NOTHING_SELECTED})
    if screen.request.form.get("confirmed") != "1":
        count = len(selected)
        return _confirm(screen, selected, "ping_delete", "Delete %s" % _pings_in_words(count), danger=True,
                        heading="Delete %s? This cannot be undone." % _pings_in_words(count),
                        explanation="%s will be removed from the weblog's pages, the TrackBack listings and feeds:"
                        % ("This ping" if count == 1 else "These pings"))
    _, refusal = _change(screen, delete_pings, lambda ping: True, NOTHING_SELECTED, selected=selected)
    return refusal or screen.redirect("pings", blog_id=screen.blog.id, saved=DELETED, **_list_params(screen))


@mode("ping_delete_junk", permission="edit_all", methods=("POST",))
def ping_delete_junk(screen):
    """Delete the weblog's junk received more than `days` days ago."""
    from mtpy.actions.pings import delete_junk_older_than
    days = screen.request.form.get("days", "").strip()
    try:
        with screen.store.transaction():
            count = delete_junk_older_than(screen.store, screen.config, screen.blog, days,
                                           author=screen.author, ip=screen.request.remote_addr)
    except ActionError as error:
        return _list(screen, errors={error.field: error.message}, days=days)
    return screen.redirect("pings", blog_id=screen.blog.id, show="junk", saved=DELETED, deleted=count,
                           days=int(days), **_subject_params(screen))


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
    return _back(screen, saved="banned")


@mode("ping_approve_sender", permission="edit_all", methods=("POST",))
def ping_approve_sender(screen):
    """Approve every held or junk ping of the weblog from one sender address
    (`ip`): the first POST lists them, the second (`confirmed`) approves."""
    from mtpy.actions.pings import approve_pings
    ip = screen.request.form.get("ip", "").strip()
    waiting = _waiting_from(screen, ip) if ip else []
    if not waiting:
        return _list(screen, errors={None: "No held or junk pings from that address."})
    if screen.request.form.get("confirmed") != "1":
        count = len(waiting)
        return _confirm(screen, waiting, "ping_approve_sender", "Approve %s" % _pings_in_words(count),
                        fields={"ip": ip}, ids=False,
                        heading="Approve %s from %s?" % (_pings_in_words(count), ip),
                        explanation="Every held or junk ping of this weblog from %s is published: %s"
                        % (ip, "it is" if count == 1 else "they are"))
    _, refusal = _change(screen, approve_pings, lambda ping: True, NOTHING_SELECTED, selected=waiting)
    return refusal or _back(screen, saved=APPROVED)


@mode("ping_confirm", permission="edit_all")
def ping_confirm(screen):
    """Where a notification mail's Approve, Junk and Delete links lead (`id`,
    `do`): the ping and one button that posts the change. A GET never changes
    anything: a link followed by a mail scanner or a prefetch does nothing."""
    ping = _ping(screen, screen.param("id"))
    if ping is None:
        raise HTTPError(404, "No such ping in this weblog: it may have been deleted already.")
    from mtpy.actions.pings import listed_state
    if screen.param("do") not in CONFIRMED_CHANGES:
        raise HTTPError(404, "No such change of a ping.")
    target, states, question, effect, button = CONFIRMED_CHANGES[screen.param("do")]
    if listed_state(ping) not in states:
        return _confirm(screen, [ping], None, None,
                        heading="Nothing to do: this ping is %s already." % _state_words(ping),
                        explanation="It is listed on the TrackBacks screen, with what else you can do:")
    return _confirm(screen, [ping], target, button, heading=question, danger=target == "ping_delete",
                    explanation="It is %s now. %s" % (_state_words(ping), effect))


def _pings_in_words(count):
    return "%d ping%s" % (count, "" if count == 1 else "s")


def _state_words(ping):
    from mtpy.actions.pings import listed_state
    return {"published": "shown on the weblog", "held": "held for your approval", "junk": "junk (hidden)",
            "withdrawn": "withdrawn by its source (hidden)"}[listed_state(ping)]


def _confirm(screen, pings, target, button, heading, explanation, danger=False, fields=None, ids=True):
    """A page that shows pings and asks before a change: its button posts
    `fields` and `confirmed` (and the pings' ids unless `ids` is False) to the
    mode `target`; no button without a target."""
    from mtpy.actions.pings import listed_state
    return screen.render("ping_confirm.html", pings=pings, states={ping.id: listed_state(ping) for ping in pings},
                         heading=heading, explanation=explanation, target=target, danger=danger,
                         fields=dict({"confirmed": "1"}, **(fields or {})), ids=ids, button=button,
                         params=dict(_list_params(screen), page=_page(screen)), active="pings")


def _waiting_from(screen, ip):
    """The weblog's held and junk pings from this sender address, newest first
    (not those their source withdrew: approving cannot show them)."""
    from mtpy.actions.pings import listed_state
    from mtpy.models import Ping
    return [ping for ping in screen.store.find(Ping, blog_id=screen.blog.id, ip=ip, visible=False, order_by="id",
                                               desc=True)
            if listed_state(ping) in ("held", "junk")]


def _change(screen, action, eligible, none_eligible, selected=None, **options):
    """Call a pings action on the eligible ones of the selected pings. Returns
    (them, None), or (None, the list page saying why nothing changed)."""
    selected = _selected(screen) if selected is None else selected
    if not selected:
        return None, _list(screen, errors={None: NOTHING_SELECTED})
    chosen = [ping for ping in selected if eligible(ping)]
    if not chosen:
        return None, _list(screen, errors={None: none_eligible})
    try:
        with screen.store.transaction():
            screen.jobs += action(screen.store, screen.config, screen.blog, [ping.id for ping in chosen],
                                  author=screen.author, ip=screen.request.remote_addr, **options)
    except ActionError as error:
        return None, _list(screen, errors={None: error.message})
    return chosen, None


def _back(screen, **params):
    """To the list the form came from (its filter and page) after a change."""
    return screen.redirect("pings", blog_id=screen.blog.id, page=_page(screen), **dict(_list_params(screen), **params))


def _is_junk(ping):
    from mtpy.junk import ping_state
    return ping_state(ping) == "junk"


# -- the list ------------------------------------------------------------------

def _list(screen, errors=None, days=None):
    """The list page (also answers a refused POST, with `errors`)."""
    from mtpy.actions.pings import listed_state
    from mtpy.models import IPBan
    from mtpy.addresses import ip_is_banned
    store, blog = screen.store, screen.blog
    subject, item = _subject(screen)
    show = _show(screen)
    counts, found, page, pages = _pings(screen, subject, item, show)
    bans = [ban.ip for ban in store.find(IPBan, blog_id=blog.id)]
    targets = _targets(screen, found)
    rows = [{"ping": ping, "state": listed_state(ping), "target": targets.get(ping.tb_id),
             "banned": bool(ping.ip) and ip_is_banned(ping.ip, bans), "name": _ping_name(ping)}
            for ping in found]
    return screen.render("pings.html", rows=rows, subject=subject, params=_list_params(screen),
                         query=_query(screen), select_all=screen.param("select") == "all",
                         subject_params=_subject_params(screen), filters=_filters(screen), page=page,
                         protocols=PROTOCOL_CHOICES, kinds=KIND_CHOICES,
                         pages=pages, total=counts[show], show=show, shown=SHOWN, counts=counts,
                         undo=_undo(screen), deleted=_deleted(screen), days=days if days is not None else "30",
                         errors=errors or {}, active="pings")


def _pings(screen, subject, item, show):
    """({state: how many}, this page's pings in the state `show` newest
    first, the page, how many pages), of the protocol and kind asked for,
    found by the search text (`q`) when given."""
    store = screen.store
    if subject is not None and item is None:    # an entry or category that never had a TrackBack item
        return dict.fromkeys(SHOWN, 0), [], 1, 1
    where = {"tb_id": item.id} if item is not None else {"blog_id": screen.blog.id}
    where.update(_filters(screen), contains=_query(screen) or None)
    counts = store.count_pings_by_state(**where)
    if where == {"blog_id": screen.blog.id, "contains": None}:
        screen.weblog_counts = counts       # the tab's held count too: not counted twice
    page, pages, offset = screen.paging(counts[show], PAGE_SIZE)
    found = store.find_pings(state=None if show == "all" else show, limit=PAGE_SIZE, offset=offset, **where)
    return counts, found, page, pages


def _query(screen):
    """The search text: found in a ping's sender address, source URL, weblog name or pinged entry's title."""
    return " ".join(screen.param("q").split())[:QUERY_LENGTH]


def _ping_name(ping):
    """How a row's buttons name their ping for a screen reader, so that no two
    read alike: "the ping “Title” from Example Blog"."""
    from mtpy.junk import source_host
    from mtpy.text import feed_text
    title = " ".join(feed_text(ping.title or "").split())[:80] or ping.source_url[:80]
    sender = " ".join(feed_text(ping.blog_name or ping.author_name or "").split())[:60]
    return "the ping “%s” from %s" % (title, sender or source_host(ping.source_url) or ping.ip or "an unknown sender")


def _filters(screen):
    """The protocol and kind asked for ({field: value}; an unknown one is no filter)."""
    chosen = {"protocol": screen.param("protocol"), "kind": screen.param("kind")}
    return {name: value for name, value in chosen.items() if value in (PROTOCOLS if name == "protocol" else KINDS)}


def _show(screen):
    show = screen.param("show") or "all"
    return show if show in SHOWN else "all"


def _undo(screen):
    """After junking: the pings just junked (`undo`, their ids) that are junk
    still, the block list's words their sources' domains are, and whether
    undoing publishes them again (`was`)."""
    from mtpy.actions.pings import source_domain
    from mtpy.text import record_id
    if screen.param("saved") != JUNKED or not screen.param("undo"):
        return None
    ids = [record_id(value) for value in screen.param("undo").split(",")[:1000]]
    junked = [ping for ping in (_ping(screen, str(ping_id)) for ping_id in ids if ping_id is not None)
              if ping is not None and _is_junk(ping)]
    if not junked:
        return None
    domains = {source_domain(ping) for ping in junked}
    return {"pings": junked, "publish": screen.param("was") == "published",
            "domains": [word for word in screen.blog.junk_words if word in domains]}


def _deleted(screen):
    """After deleting old junk: (how many, older than how many days)."""
    count, days = screen.int_param("deleted"), screen.int_param("days")
    if screen.param("saved") != DELETED or count is None or days is None:
        return None
    return count, days


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
    """The entry or category the list shows, carried through its forms and redirects."""
    return {name: screen.int_param(name) for name in ("entry_id", "category_id")
            if screen.int_param(name) is not None}


def _list_params(screen):
    """The list's whole filter: its subject, protocol, kind, search text and the state shown."""
    params = dict(_subject_params(screen), **_filters(screen))
    if _query(screen):
        params["q"] = _query(screen)
    if _show(screen) != "all":
        params["show"] = _show(screen)
    return params


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
    from mtpy.text import record_id
    ping_id = record_id(value)
    ping = screen.store.get(Ping, ping_id) if ping_id is not None else None
    return ping if ping is not None and ping.blog_id == screen.blog.id else None
