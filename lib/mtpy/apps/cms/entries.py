"""Entries: the weblog's list, writing and editing one, deleting one.

Anyone with "post" in a weblog sees all its entries; only an author who may
also edit_all opens the entries of others (Movable Type 2.x's rule).

"Preview" shows the entry as typed, rendered with the weblog's Individual Entry
Archive template and written nowhere, in a sandboxed frame (see
preview_response); "Back to the form" shows the form again with what was typed.
"""

from mtpy.actions import ActionError
from mtpy.apps.cms.base import HTTPError
from mtpy.apps.cms.screen import mode
from mtpy.text import web_link

PER_PAGE = 25
PINGS_SHOWN = 20
NOT_YOURS = "You may open only your own entries in this weblog."
TEXT_FIELDS = ("title", "body", "extended", "excerpt", "keywords")


def may_open(screen, entry):
    return entry.author_id == screen.author.id or screen.may("edit_all")


@mode("entries", permission="post")
def entries(screen):
    from mtpy.models import Author, Category, Trackback
    store, blog = screen.store, screen.blog
    query = screen.param("q").strip()[:200]
    total = store.count_entries(blog.id, text_contains=query or None)
    page, pages, offset = screen.paging(total, PER_PAGE)
    listed = store.list_entries(blog.id, text_contains=query or None, limit=PER_PAGE, offset=offset)
    categories = {category.id: category for category in store.find(Category, blog_id=blog.id)}
    authors = {author_id: store.get(Author, author_id) for author_id in {entry.author_id for entry in listed}
               if author_id is not None}
    items = {item.entry_id: item for item in store.find_in(Trackback, "entry_id", [entry.id for entry in listed])}
    counts = store.ping_counts(blog.id, [item.id for item in items.values()]) if items else {}
    rows = []
    for entry in listed:
        item = items.get(entry.id)
        primary = categories.get(entry.category_ids[0]) if entry.category_ids else None
        rows.append({"entry": entry, "category": primary, "author": authors.get(entry.author_id),
                     "pings": counts.get(item.id, 0) if item else 0, "may_open": may_open(screen, entry)})
    return screen.render("entries.html", rows=rows, query=query, total=total, page=page, pages=pages,
                         active="entries")


def _entry(screen):
    """The entry of `entry_id` in this weblog (404 otherwise) that this author
    may open (403 otherwise); None when no entry_id is given."""
    from mtpy.models import Entry
    entry = screen.weblog_record(Entry, "entry_id", "entry")
    if entry is not None and not may_open(screen, entry):
        raise HTTPError(403, NOT_YOURS)
    return entry


def _form_values(screen, entry):
    """What the form shows: the entry's fields (a new entry's defaults), the
    date in the weblog's time and the URLs one per line."""
    from mtpy import dates
    from mtpy.actions.entries import LOCAL_FORMAT
    blog = screen.blog
    if entry is None:
        return {"title": "", "body": "", "extended": "", "excerpt": "", "keywords": "", "status": "Draft",
                "created_on": dates.format_date(dates.utc_now(), blog.timezone, LOCAL_FORMAT),
                "convert_breaks": True, "allow_pings": bool(blog.allow_pings_default),
                "category_ids": [], "to_ping_urls": ""}
    values = {field: getattr(entry, field) or "" for field in TEXT_FIELDS}
    values.update(status=entry.status, created_on=dates.format_date(entry.created_on, blog.timezone, LOCAL_FORMAT),
                  convert_breaks=entry.convert_breaks not in ("0", "", None), allow_pings=bool(entry.allow_pings),
                  category_ids=list(entry.category_ids), to_ping_urls="\n".join(entry.to_ping_urls))
    return values


def _typed_values(form):
    """The form as typed (shown again when refused) and as save_entry's values."""
    typed = {field: form.get(field) for field in TEXT_FIELDS}
    typed.update(status=form.get("status"), created_on=form.get("created_on").strip(),
                 convert_breaks=form.get("convert_breaks") == "1", allow_pings=form.get("allow_pings") == "1",
                 to_ping_urls=form.get("to_ping_urls"))
    chosen = [form.get("category_id")] + form.getlist("secondary_ids")
    category_ids = []
    for value in chosen:
        if value and value not in category_ids:
            category_ids.append(value)
    typed["category_ids"] = category_ids
    values = dict(typed, convert_breaks="1" if typed["convert_breaks"] else "0")
    if not values["created_on"]:        # left empty: now for a new entry, unchanged otherwise
        del values["created_on"]
    return typed, values


@mode("entry_edit", permission="post", methods=("GET", "POST"), resumable=True)
def entry_edit(screen):
    from mtpy.actions.entries import save_entry
    entry = _entry(screen)
    errors = {}
    values = _form_values(screen, entry)
    if screen.resumed is not None:      # a save that was not done: what it typed, to save again
        values = _typed_values(screen.resumed)[0]
    elif screen.request.method == "POST":
        values, changes = _typed_values(screen.request.form)
        if "preview" in screen.request.form:
            try:
                return _preview(screen, entry, values, changes)
            except ActionError as error:
                errors[error.field] = error.message
        if errors or "back" in screen.request.form:
            return screen.render("entry_edit.html", entry=entry, values=values, errors=errors,
                                 categories=_categories(screen), trackback=_trackback(screen, entry),
                                 active="entries")
        try:
            with screen.store.transaction():
                done = save_entry(screen.store, screen.config, screen.blog, entry, changes, author=screen.author)
        except ActionError as error:
            errors[error.field] = error.message
        else:
            screen.jobs += done
            notice = "published" if _republishes(screen, done) else ("created" if entry is None else "saved")
            return screen.redirect("entry_edit", blog_id=screen.blog.id, entry_id=done.record.id, saved=notice)
    return screen.render("entry_edit.html", entry=entry, values=values, errors=errors,
                         categories=_categories(screen), trackback=_trackback(screen, entry), active="entries")


def _preview(screen, entry, values, changes):
    """The preview screen of the entry as typed (checked and cleaned as saving
    would, stored nowhere); ActionError as saving refuses it."""
    from mtpy.actions.entries import entry_as_typed
    from mtpy.publish.rebuild import Publisher
    from mtpy.publish.templates import TemplateSetError
    typed = entry_as_typed(screen.store, screen.blog, entry, changes, screen.author)
    try:
        page = Publisher(screen.store, screen.config, screen.blog).preview(typed)
    except TemplateSetError as error:
        raise ActionError(str(error))
    except Exception as error:   # the template's own mistake (a Jinja2 error while rendering)
        from mtpy import web
        web.log_error(screen.config.get("LogFile"), "Preview of an entry of weblog %d: %r" % (screen.blog.id, error))
        raise ActionError("The Individual Entry Archive template could not render this entry: %s" % error)
    form = screen.request.form
    hidden = [(name, value) for name in form.keys() if name not in ("preview", "magic_token")
              for value in form.getlist(name)]
    return preview_response(screen, screen.render("entry_preview.html", entry=entry, page=page, hidden=hidden,
                                                  title=typed.title, active="entries"))


def preview_response(screen, response):
    """The preview screen is mt.cgi's own page; the entry's page inside it is
    the author's HTML, shown in an <iframe sandbox srcdoc> (no script, an
    origin of its own: nothing in it can act in mt.cgi), whose policy is the
    screen's, with the weblog's own site allowed for styles and any images."""
    from mtpy.apps.cms.pages import CSP
    from mtpy.config import is_absolute_url, on_origin_of
    url = screen.blog.site_url or ""
    site = on_origin_of(url, "") if is_absolute_url(url) and not any(c in url for c in " ;,'\"\\") else ""
    policy = (CSP % screen.csp_nonce).replace("style-src 'nonce-%s'" % screen.csp_nonce,
                                              "style-src 'nonce-%s' %s" % (screen.csp_nonce, site)).replace(
        "img-src 'self' data:", "img-src * data:")
    response.headers = [(name, value) for name, value in response.headers if name != "Content-Security-Policy"]
    response.headers.append(("Content-Security-Policy", policy.replace("  ", " ")))
    return response


def _republishes(screen, done):
    """Whether the save queued work on the weblog's pages (not only pings)."""
    from mtpy.models import Job
    jobs = [screen.store.get(Job, job_id) for job_id in done.job_ids]
    return any(job is not None and job.kind != "send_pings" for job in jobs)


def _categories(screen):
    from mtpy.models import Category
    return screen.store.find(Category, blog_id=screen.blog.id, order_by="label")


def _trackback(screen, entry):
    """What the edit screen shows of a saved entry's TrackBack: the URL remote
    weblogs ping (None when pings are off), its permalink once published, its
    newest pings and how many it has in each state (as the TrackBacks screen counts them)."""
    from mtpy.actions.pings import listed_state
    from mtpy.urls import entry_permalink, ping_url
    if entry is None:
        return None
    store = screen.store
    item = store.trackback_for(entry=entry)
    pings, counts = [], {"all": 0}
    if item is not None:
        counts = store.count_pings_by_state(tb_id=item.id)
        pings = [{"ping": ping, "link": web_link(ping.source_url), "state": listed_state(ping)} for ping in
                 store.list_pings(tb_id=item.id, visible_only=False, newest_first=True, limit=PINGS_SHOWN)]
    accepts = item is not None and entry.allow_pings and not item.is_disabled
    return {"ping_url": ping_url(screen.config, item, screen.blog) if accepts else None,
            "permalink": entry_permalink(screen.blog, entry) if entry.status == "Publish" else None,
            "pings": pings, "count": counts["all"], "counts": counts, "sent": _sent(screen, entry)}


def _sent(screen, entry):
    """The entry's outbound notifications: the URLs pinged by TrackBack and
    the pages told by Pingback or Webmention (with the protocol), and those
    not yet sent with what went wrong last, when, and whether only a retry
    sends them now."""
    from mtpy.actions.sending import MAX_ATTEMPTS, being_sent, categories_pinging, waiting_mentions, wanted_urls
    from mtpy.models import PROTOCOL_NAMES
    pinged = set(entry.pinged_urls)
    waiting = []
    # A category's outbound URL is marked with the category's name, unless the
    # entry lists it too (then it is the entry's own).
    own = set(entry.to_ping_urls)
    from_category = {url: label for url, label in categories_pinging(screen.store, entry).items() if url not in own}

    def row(url, protocol, failure):
        return {"url": url, "protocol": PROTOCOL_NAMES[protocol], "error": failure.get("error", ""),
                "category": from_category.get(url, "") if protocol == "trackback" else "",
                "when": failure.get("when", ""), "attempts": failure.get("attempts", 0),
                "final": bool(failure.get("final")), "given_up": failure.get("attempts", 0) >= MAX_ATTEMPTS,
                "sending": being_sent(entry, url)}
    for url in wanted_urls(screen.store, entry):
        if url not in pinged:
            waiting.append(row(url, "trackback", entry.ping_failures.get(url) or {}))
    for url, failure in waiting_mentions(entry):
        waiting.append(row(url, failure["protocol"], failure))
    told = [{"url": url, "protocol": PROTOCOL_NAMES.get((told or {}).get("protocol"), "")}
            for url, told in sorted(entry.notified_links.items())]
    return {"pinged": [{"url": url, "category": from_category.get(url, "")} for url in entry.pinged_urls],
            "told": told, "waiting": waiting}


@mode("entry_ping_retry", permission="post", methods=("POST",))
def entry_ping_retry(screen):
    """"Retry now": queue the entry's pings again, the given-up ones too."""
    from mtpy.actions.sending import retry_pings
    entry = _entry(screen)
    if entry is None:
        raise HTTPError(404, "No such entry in this weblog.")
    try:
        with screen.store.transaction():
            done = retry_pings(screen.store, screen.config, screen.blog, entry)
    except ActionError as error:
        raise HTTPError(409, error.message)
    screen.jobs += done
    return screen.redirect("entry_edit", blog_id=screen.blog.id, entry_id=entry.id, saved="pings_queued")


@mode("entry_delete", permission="post", methods=("GET", "POST"))
def entry_delete(screen):
    """GET asks first (with the number of pings that go too); POST deletes."""
    from mtpy.actions.entries import delete_entry
    entry = _entry(screen)
    if entry is None:
        raise HTTPError(404, "No such entry in this weblog.")
    if screen.request.method == "POST":
        with screen.store.transaction():
            done = delete_entry(screen.store, screen.config, screen.blog, entry, author=screen.author,
                                ip=screen.request.remote_addr)
        screen.jobs += done
        return screen.redirect("entries", blog_id=screen.blog.id, saved="deleted")
    item = screen.store.trackback_for(entry=entry)
    count = screen.store.count_pings(item.id, visible_only=False) if item is not None else 0
    return screen.render("entry_delete.html", entry=entry, ping_count=count, active="entries")
