"""The TrackBack listing popup (`__mode=view`, reference §6): the weblog's own
"TrackBack Listing" template, for an entry (`entry_id=`) or a category
(`category_id=`)."""

from mtpy import timeutil
from mtpy.models import Blog, Category, Entry
from mtpy.trackback.receive import parse_item_id


class ListingError(Exception):
    pass


def render_listing(store, config, fields):
    from mtpy.publish.environment import weblog_environment
    from mtpy.publish.templates import TemplateSet
    from mtpy.publish.views import CategoryListingView, SiteView
    if fields.get("category_id"):
        category = _get(store, Category, fields["category_id"], "category")
        blog = store.get(Blog, category.blog_id)
    else:
        entry = _get(store, Entry, fields.get("entry_id", ""), "entry")
        if entry.status != "Publish":
            raise ListingError("Invalid entry ID '%s'" % fields.get("entry_id", ""))
        blog = store.get(Blog, entry.blog_id)
    site = SiteView(store, config, blog)
    if fields.get("category_id"):
        view = site.categories_by_id[category.id]
        in_context = {"entry": CategoryListingView(view), "category": view}
    else:
        in_context = {"entry": site.all_entries[site.position[entry.id]], "category": None}
    templates = TemplateSet(config, blog)
    template = templates.by_name("TrackBack Listing")
    return weblog_environment(config, templates).get_template(template.filename).render(
        site=site, blog=blog, config=config, now=timeutil.utc_now(), archive=None, **in_context)


def _get(store, kind, text, label):
    record_id = parse_item_id(text or "")
    record = store.get(kind, record_id) if record_id is not None else None
    if record is None:
        raise ListingError("Invalid %s ID '%s'" % (label, text))
    return record


def ping_url(config, item):
    """The URL MT publishes for an item: `<CGIPath>mt-tb.cgi/<id>`."""
    return "%s/%d" % (config.script_url(), item.id)
