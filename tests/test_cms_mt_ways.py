"""Entries and weblogs as Movable Type users knew them: the Entries screen
searches titles and text alike on every backend; "Create a weblog" proposes
its URL and folder as set-up does; IP Banning says who banned an address,
when and why."""

import os

import pytest

from mtpy.models import Blog, Entry

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


# -- searching entries ----------------------------------------------------------

def test_entries_are_found_by_any_words_of_their_title_or_text(store):
    blog, other = Blog(name="One"), Blog(name="Two")
    store.save(blog)
    store.save(other)
    rows = [("Walking", "Over the <em>HILLS</em> and far", "", "", ""),
            ("Cooking", "Bread", "The 50% rye_loaf, at length", "", ""),
            ("Reading", "", "", "An excerpt about hills", ""),
            ("Gardening", None, None, None, "hills roses"),
            ("Hills of home", "", "", "", "")]
    for number, (title, body, extended, excerpt, keywords) in enumerate(rows):
        store.save(Entry(blog_id=blog.id, title=title, body=body, extended=extended, excerpt=excerpt,
                         keywords=keywords, created_on="2026-03-%02d 10:00:00" % (number + 1)))
    store.save(Entry(blog_id=other.id, title="Hills elsewhere", created_on="2026-03-09 10:00:00"))

    def found(text, **page):
        return [entry.title for entry in store.list_entries(blog.id, text_contains=text, **page)]
    assert found("hills") == ["Hills of home", "Gardening", "Reading", "Walking"]    # newest first, any field
    assert store.count_entries(blog.id, text_contains="HILLS") == 4
    assert found("hills", limit=2, offset=1) == ["Gardening", "Reading"]
    assert found("0% r") == ["Cooking"] and found("e_l") == ["Cooking"] and found("_") == ["Cooking"]
    assert found("<em>") == ["Walking"]                              # the text as written, tags too
    assert found("nowhere") == [] and store.count_entries(blog.id, text_contains="nowhere") == 0
    assert len(found("")) == 5                                      # no filter
    # With a title search too, both must hold.
    assert [entry.title for entry in store.list_entries(blog.id, title_contains="ing", text_contains="hills")] == [
        "Gardening", "Reading", "Walking"]


@SQLITE
def test_the_entries_screen_searches_title_and_text(cms):
    site, client = cms
    site.add_entry(title="About bicycles", body="Nothing here")
    site.add_entry(title="Sunday", body="We rode our <b>bicycles</b> by the sea", extended="")
    site.add_entry(title="Monday", body="Work", extended="More bicycles after work")
    page = client.get("entries", blog_id=site.blog.id, q="Bicycles")
    assert page.status == 200 and "3 entries with &ldquo;Bicycles&rdquo; in the title or text." in page.text
    for title in ("About bicycles", "Sunday", "Monday"):
        assert ">%s</a>" % title in page.text
    assert 'placeholder="Words in the title or text"' in page.text and 'value="Bicycles"' in page.text
    assert "1 entry with" in client.get("entries", blog_id=site.blog.id, q="by the sea").text
