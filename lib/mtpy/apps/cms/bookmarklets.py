"""The TrackBack bookmarklet: setting it up, and the QuickPost window it opens.

"Set Up Bookmarklets" makes a `javascript:` link for one weblog, which the
author drags to the browser's bookmarks bar. Clicked on any page, it opens a
small window at mt.cgi's `quickpost` mode with the page's title, address and the
selected text: a new-entry form filled in with a link to the page. With
"TrackBack items" chosen, mt.cgi fetches the page and offers the TrackBack
entries its RDF announces (one: a checked box; several: a pull-down), and the
ping is sent once the entry is saved, as for any URL to ping.

The link's code runs on the visited page, never on mt.cgi's own (whose
Content-Security-Policy allows no script): the page only shows it.
"""

from urllib.parse import urlencode

from mtpy.actions import ActionError
from mtpy.actions.discovery import announced_items
from mtpy.apps.cms.entries import NOT_YOURS, may_open
from mtpy.apps.cms.screen import mode
from mtpy.text import web_link

# What the QuickPost window may show besides title, body and status, in
# Movable Type's words.
SHOW_OPTIONS = [("trackback", "TrackBack items"), ("category", "Category"), ("allow_pings", "Allow pings"),
                ("extended", "Extended entry"), ("keywords", "Keywords"), ("excerpt", "Excerpt")]
SHOW_NAMES = [name for name, _ in SHOW_OPTIONS]
WINDOW_FEATURES = "width=420,height=600,resizable=yes,scrollbars=yes"
WINDOW_NAME = "mtpy_quickpost"
# The selected text travels in the window's URL: keep that within what servers take.
SELECTION_MAX_CHARACTERS = 2000
ITEMS_MAX = 100
TRACKBACK_STATES = ("found", "none", "failed", "no_requests", "no_link")
# save_entry's names of fields that the window names otherwise
FORM_FIELDS = {"category_ids": "category_id", "to_ping_urls": "ping_url"}


def shown_fields(names):
    """The known names among `names` (a comma-separated text or a list), in
    the set-up screen's order."""
    if isinstance(names, str):
        names = names.split(",")
    wanted = {name.strip() for name in names}
    return [name for name in SHOW_NAMES if name in wanted]


# -- Set Up Bookmarklets ------------------------------------------------------

@mode("bookmarklets")
def bookmarklets(screen):
    """A GET form: the weblog and the fields; submitted, the link to drag."""
    weblogs = [blog for blog in screen.weblogs() if screen.may("post", blog)]
    made = screen.param("make") == "1"
    shown = shown_fields(screen.request.query.getlist("show")) if made else ["trackback"]
    blog_id = screen.int_param("blog_id")
    errors, link = {}, None
    if made:
        blog = next((weblog for weblog in weblogs if weblog.id == blog_id), None)
        if blog is None:
            errors["blog_id"] = "Choose one of the weblogs you may post to."
        else:
            link = {"href": bookmarklet_href(quickpost_base(screen, blog, shown)),
                    "label": "QuickPost to %s" % (blog.name or "Untitled weblog"), "blog": blog}
    if blog_id is None and weblogs:
        blog_id = weblogs[0].id
    return screen.render("bookmarklets.html", weblogs=weblogs, shown=shown, blog_id=blog_id, errors=errors,
                         link=link, options=SHOW_OPTIONS,
                         weblog_options=[(blog.id, blog.name or "Untitled weblog") for blog in weblogs])


def quickpost_base(screen, blog, shown):
    """mt.cgi's absolute URL of the QuickPost window for `blog`, up to the
    values the visited page adds."""
    query = urlencode([("__mode", "quickpost"), ("blog_id", blog.id), ("bm_show", ",".join(shown))], safe=",")
    return "%s?%s" % (screen.request.script_url, query)


def bookmarklet_href(base_url):
    """The `javascript:` link: on the visited page, open the QuickPost window
    with the page's title, address and selected text, each encoded."""
    code = ("(function(){var d=document,w=window,e=encodeURIComponent,t='';"
            "try{t=String(w.getSelection?w.getSelection():'')}catch(x){}"
            "w.open(%s+'&link_title='+e(d.title)+'&link_href='+e(location.href)+'&text='+e(t.slice(0,%d)),"
            "%s,%s)})()" % (js_string(base_url), SELECTION_MAX_CHARACTERS, js_string(WINDOW_NAME),
                            js_string(WINDOW_FEATURES)))
    # A browser percent-decodes a javascript: URL before running it.
    return "javascript:" + code.replace("%", "%25")


_JS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/?=&,~;@!$*+()[]")


def js_string(text):
    """A JavaScript string literal of `text` holding no quote, backslash,
    percent sign, space or markup character: everything else as \\uXXXX."""
    escaped = []
    for character in text:
        if character in _JS_PLAIN:
            escaped.append(character)
            continue
        code = ord(character)
        if code > 0xFFFF:       # a surrogate pair, as JavaScript counts
            code -= 0x10000
            escaped.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
        else:
            escaped.append("\\u%04x" % code)
    return "'%s'" % "".join(escaped)


# -- the QuickPost window -----------------------------------------------------

@mode("quickpost", permission="post", methods=("GET", "POST"), resumable=True)
def quickpost(screen):
    """GET: the new-entry form, filled in from the visited page; POST: save it
    (with the chosen TrackBack ping) and show where it went."""
    if screen.resumed is not None:      # a post that was not done: what it typed, to post again
        shown = shown_fields(screen.resumed.get("bm_show"))
        values, trackback = _typed_form(screen.resumed, shown)
        return _form(screen, shown, values, trackback, {})
    shown = shown_fields(screen.param("bm_show"))
    if screen.request.method == "POST":
        return _post(screen, shown)
    values = _prefilled(screen)
    trackback = _announced(screen, screen.param("link_href").strip()) if "trackback" in shown else None
    if trackback and len(trackback["items"]) == 1:
        values["ping_url"] = trackback["items"][0]["ping_url"]
    return _form(screen, shown, values, trackback, {})


def _post(screen, shown):
    """Save the entry, the chosen ping URL (one of the page's) to ping; the
    form again with what went wrong when refused."""
    from mtpy.actions.entries import save_entry
    values, trackback = _typed_form(screen.request.form, shown)
    offered = [item["ping_url"] for item in trackback["items"]] if trackback else []
    chosen = values["ping_url"]
    try:
        if chosen and chosen not in offered:
            raise ActionError("Choose one of the TrackBack entries the page announces.", "ping_url")
        changes = {name: value for name, value in values.items() if name not in ("ping_url", "category_id")}
        if "category_id" in values:
            changes["category_ids"] = [values["category_id"]] if values["category_id"] else []
        changes["to_ping_urls"] = [chosen] if chosen else []
        with screen.store.transaction():
            done = save_entry(screen.store, screen.config, screen.blog, None, changes, author=screen.author)
    except ActionError as error:
        field = FORM_FIELDS.get(error.field, error.field)
        if field not in values or (field == "ping_url" and not offered):
            field = None        # not a field of this form: said above it
        return _form(screen, shown, values, trackback, {field: error.message})
    screen.jobs += done.job_ids
    return screen.redirect("quickpost_done", blog_id=screen.blog.id, entry_id=done.record.id)


def _typed_form(form, shown):
    """(the form's values as typed, the page's TrackBack entries it carries)."""
    values = _typed_values(form, shown)
    values["ping_url"] = form.get("ping_url").strip()
    return values, _carried_trackback(form)


def _form(screen, shown, values, trackback, errors):
    categories = _categories(screen) if "category" in shown else []
    return screen.render("quickpost.html", values=values, errors=errors, shown=shown, trackback=trackback,
                         category_options=[(category.id, category.label) for category in categories],
                         ping_options=ping_options)


def ping_options(items):
    """The pull-down's choices: none, then each entry as its title and ping URL."""
    return [("", "None: ping no entry")] + [
        (item["ping_url"], "%s (%s)" % (_shortened(item["title"]) or "Untitled", item["ping_url"])) for item in items]


def _shortened(text, length=100):
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "\u2026"


def _prefilled(screen):
    """The form from the visited page: its title, and a body linking to it
    followed by the selected text, as HTML the author goes on editing."""
    from html import escape
    title = " ".join(screen.param("link_title").split())[:255]
    link = web_link(screen.param("link_href").strip())
    text = screen.param("text").strip()[:SELECTION_MAX_CHARACTERS * 2]
    if link:
        body = '<a href="%s">%s</a>' % (escape(link, quote=True), escape(title or link, quote=False))
    else:
        body = escape(title, quote=False)
    if text:
        body = (body + "\n" if body else "") + escape(text, quote=False)
    return {"title": title, "body": body, "extended": "", "excerpt": "", "keywords": "", "status": "Publish",
            "category_id": "", "allow_pings": bool(screen.blog.allow_pings_default), "ping_url": ""}


def _typed_values(form, shown):
    """The form as save_entry's values: only the fields the window showed."""
    values = {"title": form.get("title"), "body": form.get("body"), "status": form.get("status"),
              "convert_breaks": "1"}
    for name in ("extended", "excerpt", "keywords"):
        if name in shown:
            values[name] = form.get(name)
    if "allow_pings" in shown:
        values["allow_pings"] = form.get("allow_pings") == "1"
    if "category" in shown:
        values["category_id"] = form.get("category_id")
    return values


def _announced(screen, url):
    """What the page at `url` announces to ping: {"state", "items", "reason"}.
    The states: found, none (no TrackBack entry), failed (with the reason),
    no_requests (this server cannot fetch pages), no_link (not a web page)."""
    if not web_link(url):
        return {"state": "no_link", "items": [], "reason": ""}
    if not screen.can_send:
        return {"state": "no_requests", "items": [], "reason": ""}
    try:
        items = announced_items(screen.config, screen.blog, url, ITEMS_MAX)
    except ActionError as error:
        return {"state": "failed", "items": [], "reason": error.message}
    return {"state": "found" if items else "none", "items": items, "reason": ""}


def _carried_trackback(form):
    """The page's TrackBack entries as the GET found them, carried in hidden fields."""
    urls, titles = form.getlist("item_ping_url")[:ITEMS_MAX], form.getlist("item_title")
    titles += [""] * (len(urls) - len(titles))
    items = [{"ping_url": url, "title": title} for url, title in zip(urls, titles) if web_link(url)]
    state = form.get("tb_state")
    if state not in TRACKBACK_STATES:
        return None
    return {"state": "found" if items else ("none" if state == "found" else state), "items": items,
            "reason": form.get("tb_reason")[:300]}


def _categories(screen):
    from mtpy.models import Category
    return screen.store.find(Category, blog_id=screen.blog.id, order_by="label")


@mode("quickpost_done", permission="post")
def quickpost_done(screen):
    """After a QuickPost: the entry saved, where to see it and edit it, and
    its TrackBack ping."""
    from mtpy.apps.cms.base import HTTPError
    from mtpy.models import Entry
    from mtpy.urls import entry_permalink
    entry = screen.weblog_record(Entry, "entry_id", "entry")
    if entry is None:
        raise HTTPError(404, "No such entry in this weblog.")
    if not may_open(screen, entry):
        raise HTTPError(403, NOT_YOURS)
    permalink = entry_permalink(screen.blog, entry) if entry.status == "Publish" else None
    waiting = [url for url in entry.to_ping_urls if url not in entry.pinged_urls]
    return screen.render("quickpost_done.html", entry=entry, permalink=permalink, pinged=list(entry.pinged_urls),
                         waiting=waiting, failures=entry.ping_failures)
