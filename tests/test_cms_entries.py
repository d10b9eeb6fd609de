"""mt.cgi's Entries and Categories screens, in this process on every backend (the
`cms` fixture): writing, editing,
finding and deleting entries; categories and their TrackBack URL; who may open
what; everything typed comes back escaped."""

import os

from support.client import forms
from support.http import SUCCESS, post
from support.publishing import rebuild
from support.waiting import file_appears, wait_for

from mtpy.models import Blog, Category, Entry, Ping
from support.client import entry_fields


SCRIPT = '<script>alert("x")</script>'
IMG = '<img src=x onerror=alert(1)>'


def stored(site, kind, record_id):
    store = site.store()
    try:
        return store.get(kind, record_id)
    finally:
        store.close()


def saved_id(result, name):
    """The id the redirect after a save carried (the final URL's query)."""
    from urllib.parse import parse_qs, urlsplit
    return int(parse_qs(urlsplit(result.url).query)[name][0])


def test_write_then_edit_an_entry(cms):
    site, client = cms
    store = site.store()
    site.blog.timezone = -5.0
    store.save(site.blog)
    category = Category(blog_id=site.blog.id, label="Travel")
    store.save(category)
    other = Category(blog_id=site.blog.id, label="Food")
    store.save(other)
    store.close()

    page = client.get("entry_edit", blog_id=site.blog.id)
    assert page.status == 200
    for name in ("title", "body", "extended", "excerpt", "keywords", "category_id", "status", "created_on",
                 "convert_breaks", "allow_pings", "to_ping_urls"):
        assert 'name="%s"' % name in page.text
    assert '<label for="secondary-%d">Food</label>' % other.id in page.text
    assert "Each is pinged once" in page.text    # URLs to Ping are sent on publishing

    result = client.post("entry_edit", entry_fields(
        title="  Trip notes  ", body="Day one", extended="More", excerpt="Short", keywords="travel, notes",
        category_id=str(category.id), secondary_ids=str(other.id), to_ping_urls="http://a.example/tb/1\n\n"),
        blog_id=site.blog.id)
    assert result.status == 200
    assert "Created." in result.text
    entry = stored(site, Entry, saved_id(result, "entry_id"))
    assert (entry.title, entry.body, entry.extended, entry.excerpt, entry.keywords) == (
        "Trip notes", "Day one", "More", "Short", "travel, notes")
    assert entry.status == "Draft"
    assert entry.category_ids == [category.id, other.id]
    assert entry.created_on == "2026-11-20 14:30:00"      # typed in UTC-5
    assert entry.to_ping_urls == ["http://a.example/tb/1"]
    assert entry.author_id == site.author.id and entry.allow_pings and entry.convert_breaks == "1"
    # The form shows it back as stored, the date in the weblog's time.
    assert 'value="2026-11-20 09:30:00"' in result.text
    assert 'id="secondary-%d" name="secondary_ids" value="%d" checked' % (other.id, other.id) in result.text

    result = client.post("entry_edit", entry_fields(title="Trip notes, revised", category_id="", status="Publish",
                                                    created_on="2026-11-21 08:00:00", convert_breaks=None,
                                                    allow_pings=None),
                         blog_id=site.blog.id, entry_id=entry.id)
    assert "Your changes have been saved." in result.text
    changed = stored(site, Entry, entry.id)
    assert changed.title == "Trip notes, revised" and changed.status == "Publish"
    assert changed.category_ids == [] and changed.convert_breaks == "0" and not changed.allow_pings
    assert changed.created_on == "2026-11-21 13:00:00"
    assert "TrackBack is off for this entry" in result.text
    assert "%s%06d.html" % (site.base, entry.id) in result.text    # its permalink, once published
    assert len(site.entries()) == 2


def test_a_new_entry_takes_the_weblogs_defaults(cms):
    site, client = cms
    store = site.store()
    site.blog.allow_pings_default = False
    store.save(site.blog)
    store.close()
    page = client.get("entry_edit", blog_id=site.blog.id)
    fields = [fields for action, fields in forms(page.text) if "title" in fields][0]
    assert "allow_pings" not in fields                   # unchecked, as the weblog says
    assert fields["convert_breaks"] == ["1"]
    result = client.post("entry_edit", entry_fields(allow_pings=None, created_on=""), blog_id=site.blog.id)
    entry = stored(site, Entry, saved_id(result, "entry_id"))
    assert not entry.allow_pings
    assert entry.created_on > "2026-01-01"               # empty date: now


def test_the_list_searches_and_pages(cms):
    site, client = cms
    for number in range(30):
        site.add_entry(title="%s entry %02d" % ("Needle" if number % 2 else "Hay", number),
                       created_on="2026-10-%02d 12:00:00" % (number + 1),
                       status="Draft" if number == 29 else "Publish")
    page = client.get("entries", blog_id=site.blog.id)
    assert page.status == 200
    assert page.text.count('data-label="Title"') == 25
    assert page.text.index("Hay entry 28") < page.text.index("Needle entry 27")     # newest first
    assert "Page 1 of 2" in page.text
    assert '<span class="status draft">Draft</span>' in page.text
    assert "2026-10-30 12:00" in page.text
    second = client.get("entries", blog_id=site.blog.id, page=2)
    assert second.text.count('data-label="Title"') == 6            # 31 with the site's own entry
    assert "Hay entry 00" in second.text and "Hay entry 00" not in page.text

    found = client.get("entries", blog_id=site.blog.id, q="needle")
    assert found.text.count('data-label="Title"') == 15
    assert "Hay entry" not in found.text
    assert "15 entries with" in found.text
    assert 'value="needle"' in found.text
    found = client.get("entries", blog_id=site.blog.id, q="entry")
    assert "Page 1 of 2" in found.text
    assert "q=entry" in found.text and "page=2" in found.text       # the pager keeps the search
    nothing = client.get("entries", blog_id=site.blog.id, q="absent")
    assert "No entry holds this text in its title, body, extended entry, excerpt or keywords." in nothing.text


def test_a_draft_is_not_published_and_a_published_entry_is(cms):
    site, client = cms
    rebuild(site)       # a built weblog is republished after each change
    draft = client.post("entry_edit", entry_fields(title="Secret draft"), blog_id=site.blog.id)
    draft_id = saved_id(draft, "entry_id")
    assert "Created." in draft.text and "republished" not in draft.text     # a draft is on no page
    published = client.post("entry_edit", entry_fields(title="Out now", status="Publish"), blog_id=site.blog.id)
    assert "The pages are being republished." in published.text
    published_id = saved_id(published, "entry_id")
    page = os.path.join(site.archives, "%06d.html" % published_id)
    assert wait_for(file_appears(page), 10)
    with open(page) as handle:
        assert "Out now" in handle.read()
    assert not os.path.exists(os.path.join(site.archives, "%06d.html" % draft_id))


def test_refused_input_is_shown_with_what_was_typed_and_changes_nothing(cms):
    site, client = cms
    before = site.entries()
    result = client.post("entry_edit", entry_fields(title="   ", body="Kept <body> text", keywords="kw1"),
                         blog_id=site.blog.id)
    assert result.status == 200
    assert '<p class="field-error" id="title-error">An entry needs a title</p>' in result.text
    assert "Kept &lt;body&gt; text</textarea>" in result.text
    assert 'value="kw1"' in result.text
    assert site.entries() == before

    result = client.post("entry_edit", entry_fields(title="Good title", created_on="2026-13-45 99:00"),
                         blog_id=site.blog.id, entry_id=site.entry.id)
    assert result.status == 200
    assert 'id="created_on-error">Dates are written YYYY-MM-DD HH:MM:SS' in result.text
    assert 'value="Good title"' in result.text and 'value="2026-13-45 99:00"' in result.text
    assert "has-error" in result.text
    assert site.entries() == before

    result = client.post("entry_edit", entry_fields(to_ping_urls="javascript:alert(1)"), blog_id=site.blog.id)
    assert 'id="to_ping_urls-error">Not an http:// or https:// URL' in result.text
    assert site.entries() == before


def _author_who_may_only_post(site):
    from mtpy.actions.authors import create_author, set_permissions
    store = site.store()
    author = create_author(store, "Jo", "jo@example.com", "jo-password-1").record
    set_permissions(store, author, site.blog, ["post"])
    other_blog = Blog(name="Not Jo's", site_url=site.base + "other/")
    store.save(other_blog)
    store.close()
    return author, other_blog


def test_an_author_with_post_only_opens_only_their_own_entries(cms):
    from support.client import CMSClient
    site, _ = cms
    author, other_blog = _author_who_may_only_post(site)
    jo = CMSClient(site.base)
    jo.log_in("Jo", "jo-password-1")

    listing = jo.get("entries", blog_id=site.blog.id)
    assert listing.status == 200
    assert "Hello &lt;World&gt; &amp; Co" in listing.text          # seen, not linked
    assert "entry_id=%d" % site.entry.id not in listing.text
    assert jo.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id).status == 403
    assert jo.get("entry_delete", blog_id=site.blog.id, entry_id=site.entry.id).status == 403
    refused = jo.post("entry_edit", entry_fields(title="Taken over"), blog_id=site.blog.id, entry_id=site.entry.id)
    assert refused.status == 403
    jo.get("entries", blog_id=site.blog.id)
    assert jo.post("entry_delete", blog_id=site.blog.id, entry_id=site.entry.id).status == 403
    assert stored(site, Entry, site.entry.id).title == site.entry.title

    own = jo.post("entry_edit", entry_fields(title="Jo's entry"), blog_id=site.blog.id)
    own_id = saved_id(own, "entry_id")
    assert stored(site, Entry, own_id).author_id == author.id
    assert jo.get("entries", blog_id=site.blog.id).text.count("entry_id=%d" % own_id) == 1

    assert jo.get("entries", blog_id=other_blog.id).status == 404
    assert jo.get("entry_edit", blog_id=other_blog.id).status == 404
    assert jo.get("categories", blog_id=site.blog.id).status == 403      # no "categories" permission
    # An entry of another weblog is not found through this one.
    assert jo.get("entry_edit", blog_id=site.blog.id, entry_id=own_id + 1000).status == 404


def test_an_entry_of_another_weblog_is_not_found(cms):
    site, client = cms
    store = site.store()
    other_blog = Blog(name="Second")
    store.save(other_blog)
    stranger = Entry(blog_id=other_blog.id, title="Elsewhere", created_on="2026-11-01 00:00:00")
    store.save(stranger)
    store.close()
    assert client.get("entry_edit", blog_id=site.blog.id, entry_id=stranger.id).status == 404
    client.get("entries", blog_id=site.blog.id)
    assert client.post("entry_delete", blog_id=site.blog.id, entry_id=stranger.id).status == 404
    assert stored(site, Entry, stranger.id) is not None


def test_titles_and_labels_come_back_escaped_everywhere(cms):
    site, client = cms
    category, _ = site.add_category(label=IMG, description=SCRIPT, allow_pings=True)
    entry, item = site.add_entry(title=SCRIPT, category_ids=[category.id], excerpt=IMG)
    store = site.store()
    store.insert(Ping(blog_id=site.blog.id, tb_id=item.id, title=SCRIPT, excerpt="Hi " + IMG,
                      source_url="javascript:alert(1)", blog_name=IMG, ip="192.0.2.1",
                      created_on="2026-11-25 10:00:00"))
    store.close()
    blog = site.blog.id
    pages = [client.get("entries", blog_id=blog), client.get("entry_edit", blog_id=blog, entry_id=entry.id),
             client.get("entry_edit", blog_id=blog), client.get("entry_delete", blog_id=blog, entry_id=entry.id),
             client.get("categories", blog_id=blog),
             client.get("category_edit", blog_id=blog, category_id=category.id),
             client.get("category_delete", blog_id=blog, category_id=category.id)]
    for page in pages:
        assert page.status == 200, page.url
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, page.url
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text or \
            "&lt;img src=x onerror=alert(1)&gt;" in page.text, page.url
    assert "&lt;img src=x onerror=alert(1)&gt;</a>" in pages[4].text            # the label in the list
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</a>" in pages[0].text
    assert "javascript:" not in pages[1].text                  # a ping's source is linked only when http(s)
    assert 'alert("x")' in pages[1].text.replace("&#34;", '"')   # the ping's title as text, tags removed


def test_the_edit_screen_shows_the_entrys_trackback(cms):
    site, client = cms
    for number in range(22):
        assert post(site.ping_url(), {"url": "http://remote.example/%d" % number, "title": "Reply %d" % number,
                                      "excerpt": "Said <b>%d</b>" % number, "blog_name": "Remote"}).text == SUCCESS
    page = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id)
    assert '<code class="trackback-url">%s</code>' % site.ping_url() in page.text
    assert page.text.count('rel="nofollow ugc"') == 20
    assert page.text.index("Reply 21") < page.text.index("Reply 20")       # newest first
    assert "Reply 1<" not in page.text                                      # beyond the first 20
    assert '<a href="http://remote.example/21" rel="nofollow ugc">Reply 21</a>' in page.text
    assert "Said 21" in page.text and "127.0.0.1" in page.text
    assert "__mode=pings&amp;blog_id=%d&amp;entry_id=%d" % (site.blog.id, site.entry.id) in page.text
    assert "All 22 pings of this entry" in page.text


def test_deleting_an_entry_asks_first(cms):
    site, client = cms
    assert post(site.ping_url(), {"url": "http://remote.example/a", "title": "A"}).text == SUCCESS
    page = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id)
    delete_form = [fields for action, fields in forms(page.text) if fields.get("__mode") == ["entry_delete"]]
    assert delete_form and delete_form[0]["entry_id"] == [str(site.entry.id)]
    confirm = client.get("entry_delete", blog_id=site.blog.id, entry_id=site.entry.id)
    assert "Delete this entry and its 1 TrackBack ping?" in confirm.text
    assert stored(site, Entry, site.entry.id) is not None        # asking deletes nothing
    done = client.post("entry_delete", blog_id=site.blog.id, entry_id=site.entry.id)
    assert done.status == 200 and "Deleted." in done.text and "__mode=entries" in done.url
    assert stored(site, Entry, site.entry.id) is None
    store = site.store()
    assert store.list_pings(blog_id=site.blog.id, visible_only=False) == []
    store.close()
    assert client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id).status == 404


def test_categories_are_added_edited_and_deleted(cms):
    site, client = cms
    listing = client.get("categories", blog_id=site.blog.id)
    assert "No categories yet." in listing.text
    added = client.post("category_edit", {"label": "Photos", "description": "Pictures"},
                        blog_id=site.blog.id)
    assert "Created." in added.text
    category = stored(site, Category, saved_id(added, "category_id"))
    assert (category.label, category.description, category.allow_pings) == ("Photos", "Pictures", False)
    assert "TrackBack is off for this category." in added.text

    refused = client.post("category_edit", {"label": "Photos", "description": "Dup"}, blog_id=site.blog.id)
    assert 'id="label-error">Weblog %d already has a category' % site.blog.id in refused.text
    assert 'value="Dup"' in refused.text or ">Dup</textarea>" in refused.text
    empty = client.post("category_edit", {"full": "1", "label": "", "description": "Typed", "ping_urls": ""},
                        blog_id=site.blog.id, category_id=category.id)
    assert 'id="label-error">A category needs a label' in empty.text and ">Typed</textarea>" in empty.text
    not_web = client.post("category_edit", {"full": "1", "label": "Photos", "ping_urls": "ftp://x"},
                          blog_id=site.blog.id, category_id=category.id)
    assert 'id="ping_urls-error">Not an http:// or https:// URL' in not_web.text
    assert ">ftp://x</textarea>" in not_web.text
    assert stored(site, Category, category.id).description == "Pictures"

    saved = client.post("category_edit", {"full": "1", "label": "Pictures", "description": "", "allow_pings": "1",
                                          "passphrase": "", "ping_urls": "http://b.example/tb/2"},
                        blog_id=site.blog.id, category_id=category.id)
    assert "Your changes have been saved." in saved.text
    changed = stored(site, Category, category.id)
    assert changed.label == "Pictures" and changed.allow_pings and changed.ping_urls == ["http://b.example/tb/2"]
    listing = client.get("categories", blog_id=site.blog.id)
    assert ">Pictures</a>" in listing.text and '<span class="status">Yes</span>' in listing.text

    site.add_entry(title="Filed", category_ids=[category.id])
    confirm = client.get("category_delete", blog_id=site.blog.id, category_id=category.id)
    assert "Delete the category <strong>Pictures</strong> and its 0 TrackBack pings?" in confirm.text
    assert "Its 1 entry stays" in confirm.text
    done = client.post("category_delete", blog_id=site.blog.id, category_id=category.id)
    assert "Deleted." in done.text and "__mode=categories" in done.url
    assert stored(site, Category, category.id) is None
    assert all(category.id not in entry.category_ids for entry in site.entries())


def test_a_categorys_trackback_url_with_its_passphrase_takes_real_pings(cms):
    site, client = cms
    added = client.post("category_edit", {"full": "1", "label": "Guarded", "description": "", "allow_pings": "1",
                                          "passphrase": "sesame-42", "ping_urls": ""}, blog_id=site.blog.id)
    category = stored(site, Category, saved_id(added, "category_id"))
    store = site.store()
    item = store.trackback_for(category=category)
    store.close()
    url = "%scgi-bin/mt-tb.cgi/%d/sesame-42" % (site.base, item.id)
    assert '<code class="trackback-url">%s</code>' % url in added.text
    ping = {"url": "http://remote.example/about", "title": "On guard"}
    assert post(url, ping).text == SUCCESS
    assert "<error>1</error>" in post(site.ping_url(item), ping).text
    assert "<error>1</error>" in post(site.ping_url(item) + "/wrong", ping).text
    store = site.store()
    assert [found.title for found in store.list_pings(tb_id=item.id, visible_only=False)] == ["On guard"]
    store.close()
    listing = client.get("categories", blog_id=site.blog.id)
    assert '<td class="num" data-label="Pings published">1</td>' in listing.text
