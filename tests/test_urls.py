"""mtpy.urls, the one module that builds public URLs. In-process."""

from mtpy.config import Config
from mtpy.models import Blog, Category, Entry, Trackback
from mtpy import urls


def test_ping_and_script_urls_are_absolute_on_the_weblogs_host():
    config = Config(text="CGIPath /cgi-bin/\n")
    blog = Blog(id=1, site_url="http://blog.example/", archive_url="")
    item = Trackback(id=7)
    assert urls.ping_url(config, item, blog) == "http://blog.example/cgi-bin/mt-tb.cgi/7"
    assert urls.script_url(config, "AdminScript") == "/cgi-bin/mt.cgi"
    assert urls.held_pings_url(config, blog) == "/cgi-bin/mt.cgi?__mode=pings&blog_id=1&show=held"
    category = Category(id=3, label="Films & more", passphrase="a b/c")
    assert urls.category_ping_url(config, item, category, blog) == \
        "http://blog.example/cgi-bin/mt-tb.cgi/7/a%20b%2Fc"
    assert urls.popup_url("http://x.example/mt-tb.cgi", category_id=3) == \
        "http://x.example/mt-tb.cgi?__mode=view&category_id=3"


def test_archive_urls_follow_the_archive_url_or_the_site():
    blog = Blog(id=1, site_url="http://blog.example", archive_url="")
    assert urls.entry_permalink(blog, Entry(id=42)) == "http://blog.example/000042.html"
    blog.archive_url = "http://blog.example/archives"
    assert urls.category_archive_url(blog, Category(id=3, label="Films & more")) == \
        "http://blog.example/archives/cat_films_more.html"
    assert urls.category_basename(Category(id=3, label="&&")) == "cat_3"
