"""What an author without "unfiltered_html" publishes (mtpy.sanitize): the usual
bypasses come out inert, ordinary markup and text come out as typed, and every
way of saving (mt.cgi's actions, imports) cleans it; administrators, authors
given "unfiltered_html" and the shell's owner publish as typed."""

import html.parser

import pytest
from hypothesis import given, settings, strategies

from mtpy.actions import authors, categories, entries, importing, weblogs
from mtpy.config import Config
from mtpy.models import Author, Blog, Category, Entry
from mtpy.sanitize import DEFAULT_ALLOWED, clean_html

# Each must lose whatever could run: the payload's word for it is in the second column.
BYPASSES = [
    ("<script>fetch('/cgi-bin/mt.cgi')</script>", "fetch"),
    ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "evil"),
    ("<scr<script>ipt>alert(1)</script>", "<script"),
    ("<<script></script>img src=x onerror=alert(1)>", "<img"),
    ("<img src=x onerror=alert(1)>", "onerror"),
    ("<img src=x ONERROR = 'alert(1)'>", "onerror"),
    ("<svg onload=alert(1)>", "svg"),
    ("<svg><script>alert(1)</script></svg>", "alert"),
    ("<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>", "javascript"),
    ('<a href="javascript:alert(1)">x</a>', "javascript"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript"),
    ('<a href="jav&#x61;script:alert(1)">x</a>', "script:"),
    ('<a href="&#106;avascript&#58;alert(1)">x</a>', "script"),
    ('<a href="javascript&colon;alert(1)">x</a>', "alert"),
    ('<a href="java\tscript:alert(1)">x</a>', "alert"),
    ('<a href="java\nscript:alert(1)">x</a>', "alert"),
    ('<a href=" \x01javascript:alert(1)">x</a>', "alert"),
    ("<a href=javascript:alert(1)>x</a>", "alert"),
    ('<a href="vbscript:x">x</a>', "vbscript"),
    ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "data:"),
    ('<img src="data:image/svg+xml,<svg onload=alert(1)>">', "data:"),
    ('<a href="http://ok.example/" href="javascript:alert(1)">x</a>', "javascript"),
    ('<a/href="javascript:alert(1)">x</a>', "javascript"),
    ('<form action="/cgi-bin/mt.cgi" method="post"><input name="is_admin" value="1"><button>Go</button></form>',
     "is_admin"),
    ('<button formaction="/cgi-bin/mt.cgi">x</button>', "formaction"),
    ('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>', "srcdoc"),
    ('<iframe src="/cgi-bin/mt.cgi"></iframe>', "iframe"),
    ('<object data="x.swf"></object><embed src="x.swf">', "swf"),
    ('<base href="//evil.example/">', "evil"),
    ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', "refresh"),
    ('<link rel="stylesheet" href="//evil.example/x.css">', "evil"),
    ('<style>@import "//evil.example/x.css";</style>', "evil"),
    ('<p style="background:url(javascript:alert(1))">x</p>', "style"),
    ("<!-- <script>alert(1)</script> -->", "alert"),
    ("<![CDATA[<script>alert(1)</script>]]>", "alert"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "<img"),
    ('<p title="x" onclick="alert(1)">x</p>', "onclick"),
    ("<textarea><script>alert(1)</script></textarea>", "alert"),
    ('<img """><script>alert(1)</script>">', "alert"),
    ("<img src=x onerror=alert(1)", "onerror"),          # unclosed at the end
    ("<a id=magic_token name=x>x</a>", "magic_token"),  # no ids or names to clobber
]


@pytest.mark.parametrize("payload,word", BYPASSES)
def test_the_usual_bypasses_come_out_inert(payload, word):
    cleaned = clean_html(payload)
    assert word.lower() not in _markup_of(cleaned).lower(), cleaned
    assert clean_html(cleaned) == cleaned


def _markup_of(page):
    """What could act in `page`, as text: the tags, the attribute names, the
    URLs (values of other attributes are text); each asserted allowed."""
    found = []

    class Reader(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag in DEFAULT_ALLOWED and all(name in DEFAULT_ALLOWED[tag] for name, _ in attrs), page
            found.append("<" + tag)
            found.extend(name + ("=" + value if name in ("href", "src", "cite") else "") for name, value in attrs)

    Reader(convert_charrefs=True).feed(page)
    return " ".join(found)


def test_ordinary_markup_and_text_come_out_as_typed():
    for kept in ("Tom & Jerry", "It&#8217;s 5 > 3", "plain\n\ntext",
                 '<p>A <a href="http://example.com/a?b=1&amp;c=2" title="T">link</a>, <em>em</em>,'
                 ' <img src="/i.png" alt="i" /> and <a href="mailto:a@example.com">mail</a>.</p>',
                 '<blockquote cite="https://example.com/"><ul><li>one</li></ul></blockquote>',
                 '<a href="../2026/11/x.html#more">relative</a>'):
        assert clean_html(kept) == kept
    assert clean_html("a < b <b>bold") == "a &lt; b <b>bold</b>"      # a tag left open is closed
    assert clean_html("<div><p>x</div>y</i>") == "<div><p>x</p></div>y"


@settings(max_examples=150, deadline=None, derandomize=True)
@given(strategies.lists(strategies.sampled_from(
    ["<", ">", "&", "\"", "'", "=", " ", "\t", "/", "!--", "-->", "a", "b", "img", "svg", "script", "style",
     "href", "src", "onerror", "javascript:", "jav\tascript:", "&#x61;", "&#58;", "x", "![CDATA[", "]]>", "p",
     "title", "form", "iframe", "srcdoc", "noscript", "textarea", "\x00"]),
    max_size=25))
def test_any_text_comes_out_with_only_allowed_markup(parts):
    cleaned = clean_html("".join(parts))
    markup = _markup_of(cleaned)             # asserts the tags and attributes
    squeezed = "".join(markup.replace("&#x61;", "a").split()).replace("\x00", "").lower()
    assert "javascript:" not in squeezed and "srcdoc" not in squeezed
    assert clean_html(cleaned) == cleaned


# -- every way of saving ---------------------------------------------------------

SCRIPT = '<script>alert(1)</script><b>bold</b>'


@pytest.fixture
def backend():
    return "sqlite"      # the stores keep `can` as they keep any list: one backend is enough


@pytest.fixture
def weblog(store):
    blog = Blog(name="Weblog", site_path="", site_url="http://example.com/")
    store.save(blog)
    people = {}
    for name, can, is_admin in (("admin", [], True), ("poster", ["post"], False),
                                ("editor", ["post", "edit_all", "categories", "settings"], False),
                                ("trusted", ["post", "unfiltered_html"], False)):
        people[name] = Author(name=name, email="%s@example.com" % name, is_admin=is_admin)
        store.save(people[name])
        if can:
            authors.set_permissions(store, people[name], blog, can)
    return blog, people


def test_an_author_without_unfiltered_html_saves_cleaned_html(store, weblog):
    config = Config(text="")
    blog, people = weblog
    values = {"title": "T" + SCRIPT, "body": SCRIPT, "extended": SCRIPT, "excerpt": SCRIPT, "keywords": SCRIPT,
              "status": "Draft"}
    by_poster = entries.save_entry(store, config, blog, None, values, author=people["poster"]).record
    stored = store.get(Entry, by_poster.id)
    assert (stored.title, stored.body, stored.extended, stored.excerpt, stored.keywords) == (
        "T<b>bold</b>", "<b>bold</b>", "<b>bold</b>", "<b>bold</b>", "<b>bold</b>")
    for trusted in ("admin", "trusted", None):
        author = people[trusted] if trusted else None        # None: the shell's owner (`mtpy`)
        saved = entries.save_entry(store, config, blog, None, values, author=author).record
        assert store.get(Entry, saved.id).body == SCRIPT
    # An editor who changes the title leaves the administrator's body as it is
    by_admin = entries.save_entry(store, config, blog, None, values, author=people["admin"]).record
    edited = entries.save_entry(store, config, blog, by_admin, dict(values, title="Fixed"),
                                author=people["editor"]).record
    assert store.get(Entry, edited.id).body == SCRIPT and store.get(Entry, edited.id).title == "Fixed"

    label = categories.save_category(store, config, blog, None, {"label": "C" + SCRIPT, "description": SCRIPT},
                                     author=people["editor"]).record
    assert (store.get(Category, label.id).label, store.get(Category, label.id).description) == (
        "C<b>bold</b>", "<b>bold</b>")
    changed = weblogs.change_weblog(store, config, blog, {"name": "W" + SCRIPT, "description": SCRIPT},
                                    author=people["editor"]).record
    assert (store.get(Blog, changed.id).name, store.get(Blog, changed.id).description) == (
        "W<b>bold</b>", "<b>bold</b>")
    weblogs.change_weblog(store, config, blog, {"name": "W" + SCRIPT}, author=people["admin"])
    assert store.get(Blog, blog.id).name == "W" + SCRIPT


def test_an_import_by_an_author_without_unfiltered_html_is_cleaned(store, weblog):
    blog, people = weblog
    export = ("AUTHOR: Eve<script>alert(1)</script>\nTITLE: Imported<img src=x onerror=alert(1)>\n"
              "CATEGORY: Cat<svg onload=alert(1)>\n-----\nBODY:\n<script>alert(1)</script>Body\n-----\n--------\n")
    importing.import_entries(store, Config(text=""), blog, export, author=people["editor"])
    imported = store.find(Entry, blog_id=blog.id)[0]
    assert (imported.title, imported.body) == ('Imported<img src="x" />', "Body")
    assert imported.author_id == people["editor"].id     # and no author "Eve" is created
    assert not store.find(Author, name="Eve<script>alert(1)</script>") and not store.find(Author, name="Eve")
    assert [category.label for category in store.find(Category, blog_id=blog.id)] == ["Cat"]
