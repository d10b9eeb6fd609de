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


def test_address_spelling_reads_urls_as_urlsplit_does_without_importing_it():
    """The spelling of an address for comparing (a Pingback's or Webmention's
    target, a link back to it), read with string methods."""
    from urllib.parse import urlsplit
    from mtpy.urls import address_spelling, same_address
    for url in ("http://Example.com/a/", "https://www.example.com:443/a?x=1#f", "http://example.com:8080/",
                "http://[2001:db8::1]:8080/x", "HTTP://EXAMPLE.COM?q", "http://example.com#frag",
                "http://example.com./a/b/", "https://ex.example/%E2%82%AC?a=b&c"):
        parts = urlsplit(url)
        host = parts.hostname.rstrip(".")
        host = host[4:] if host.startswith("www.") else host
        port = None if parts.port in (None, {"http": 80, "https": 443}[parts.scheme.lower()]) else parts.port
        assert address_spelling(url) == (host, port, parts.path.rstrip("/"), parts.query), url
    for refused in ("ftp://example.com/", "http:///x", "http://user:pw@example.com/", "http://example.com:99999/",
                    "http://example.com:8o/", "javascript:alert(1)", "", None, "http://[::1/"):
        assert address_spelling(refused) is None, refused
    assert address_spelling("http://exämple.com/") == ("xn--exmple-cua.com", None, "", "")
    assert same_address("https://www.example.com/p/#x", "http://EXAMPLE.com:80/p")
    assert not same_address("http://example.com/p?a", "http://example.com/p")
    assert not same_address("mailto:x@example.com", "mailto:x@example.com")


def test_is_under_and_own_weblog():
    from mtpy.models import Blog
    from mtpy.urls import is_under, own_weblog
    assert is_under("https://www.blog.example/w/2026/x.html", "http://blog.example/w/")
    assert is_under("http://blog.example/w", "http://blog.example/w/")
    assert not is_under("http://blog.example/wx/", "http://blog.example/w/")
    assert not is_under("http://blog.example:8080/w/", "http://blog.example/w/")
    blogs = [Blog(id=1, site_url="http://a.example/", archive_url=""), Blog(id=2, site_url="http://b.example/x/")]
    assert own_weblog("http://b.example/x/1.html", blogs).id == 2 and own_weblog("http://c.example/", blogs) is None
