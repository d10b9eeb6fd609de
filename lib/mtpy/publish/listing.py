"""The TrackBack listing popup (`__mode=view`, reference §6)."""

from mtpy.models import Blog, Entry
from mtpy.trackback.receive import parse_item_id

TEMPLATE = "weblog/trackback-listing.html"


class ListingError(Exception):
    pass


def render_listing(store, config, entry_id_text):
    entry_id = parse_item_id(entry_id_text)
    entry = store.get(Entry, entry_id) if entry_id is not None else None
    blog = store.get(Blog, entry.blog_id) if entry is not None else None
    if entry is None or blog is None or entry.status != "Publish":
        raise ListingError("Invalid entry ID '%s'" % entry_id_text)
    item = store.trackback_for(entry=entry)
    pings = store.list_pings(tb_id=item.id) if item is not None else []
    from mtpy.publish.environment import make_environment
    template = make_environment(config).get_template(TEMPLATE)
    return template.render(
        blog=blog, entry=entry, item=item, pings=pings, charset=config.get("PublishCharset"),
        ping_url=ping_url(config, item) if item is not None and not item.is_disabled else "")


def ping_url(config, item):
    """The URL MT publishes for an item: `<CGIPath>mt-tb.cgi/<id>`."""
    return "%s/%d" % (config.script_url(), item.id)
