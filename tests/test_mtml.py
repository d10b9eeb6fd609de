"""Movable Type 2.x template tags (mtpy.publish.mtml and mtpy.publish.tags):
templates are translated to Jinja2 once, then rendered against a real store
seen through the publishing views, in the sandbox and with autoescape off as
the pipeline does."""

import jinja2
import pytest

from mtpy.models import Category
from mtpy.publish import tags
from mtpy.publish.mtml import MTTemplateError, translate
from mtpy.publish.views import ArchiveView
from mtpy.trackback.rdf import rdf_block
from support.mtml import ARCHIVES, BASE, CALENDAR, CGI, weblog  # noqa: F401  (weblog: the fixture)


def error_of(source, name="Main Index"):
    with pytest.raises(MTTemplateError) as caught:
        translate(source, name)
    return str(caught.value)


# -- translation: syntax and errors ------------------------------------------------------------

def test_error_is_a_value_error_naming_tag_template_and_line():
    assert issubclass(MTTemplateError, ValueError)
    assert error_of("<html>\n\n<$MTEntryTitel$>\n") == "Main Index line 3: unknown tag <MTEntryTitel>"
    assert error_of("x\n<MTFoo>\n</MTFoo>", "Sidebar") == "Sidebar line 2: unknown tag <MTFoo>"
    assert error_of("<mt:Nope/>") == "Main Index line 1: unknown tag <MTNope>"


def test_nesting_errors():
    assert error_of("<MTEntries>\n<$MTEntryTitle$>\n") == \
        "Main Index line 1: <MTEntries> is not closed (no </MTEntries>)"
    assert error_of("a\n</MTEntries>") == "Main Index line 2: </MTEntries> has no opening <MTEntries>"
    assert error_of("<MTEntries>\n<MTEntryIfExtended>\n</MTEntries>\n</MTEntryIfExtended>") == (
        "Main Index line 3: </MTEntries> closes <MTEntries> of line 1, "
        "but <MTEntryIfExtended> of line 2 is still open")
    assert error_of("<MTCategories><MTEntries></MTCategories>") == (
        "Main Index line 1: </MTCategories> closes <MTCategories> of line 1, "
        "but <MTEntries> of line 1 is still open")
    # the innermost open container is named
    assert error_of("<MTEntries>\n<MTPings>\n") == "Main Index line 2: <MTPings> is not closed (no </MTPings>)"


def test_else_errors():
    assert error_of("\n<MTElse>") == \
        "Main Index line 2: <MTElse> outside a conditional tag (<MTEntryIfExtended> and the like)"
    assert error_of("<MTEntries>\n\n<MTElse/></MTEntries>") == \
        "Main Index line 3: <MTElse> inside <MTEntries>, which is not a conditional tag"
    assert error_of("<MTEntryIfExtended>a<MTElse>b\n<MTElse>c</MTEntryIfExtended>") == \
        "Main Index line 2: a second <MTElse> in <MTEntryIfExtended> of line 1"
    assert error_of("</MTElse>") == "Main Index line 1: </MTElse> without <MTElse>"


def test_function_and_container_forms_are_not_interchangeable():
    assert error_of("<MTEntries><MTEntryTitle>x</MTEntryTitle></MTEntries>") == \
        "Main Index line 1: <$MTEntryTitle$> is a function tag: it has no closing </MTEntryTitle>"
    assert error_of("\n<$MTEntries$>") == \
        "Main Index line 2: <MTEntries> is a container tag: write <MTEntries>...</MTEntries>, not <$MTEntries$>"
    assert "<MTPings> is a container tag" in error_of("<MTPings/>")
    assert "<MTEntryIfExtended> is a container tag" in error_of("<MTEntryIfExtended$>")


@pytest.mark.parametrize("source, message", [
    ('<MTEntries lastn="x"></MTEntries>', '<MTEntries lastn="x">: lastn must be a whole number'),
    ('<MTEntries lastn="-1"></MTEntries>', '<MTEntries lastn="-1">: lastn must be a whole number'),
    ('<MTEntries sort_order="up"></MTEntries>',
     '<MTEntries sort_order="up">: sort_order must be one of: ascend, descend'),
    ('<MTPings lastn="ten"></MTPings>', '<MTPings lastn="ten">: lastn must be a whole number'),
    ('<$MTEntryTitle encode_html="yes"$>', '<MTEntryTitle encode_html="yes">: encode_html must be "0" or "1"'),
    ('<$MTEntryTitle trim_to="a"$>', '<MTEntryTitle trim_to="a">: trim_to must be a whole number'),
    ('<$MTEntryDate format="%Q"$>', '<MTEntryDate format="%Q">: format has an unknown date code %Q'),
    ('<MTCalendar month="201313"></MTCalendar>',
     '<MTCalendar month="201313">: month must be "this", "last" or a month as YYYYMM'),
    ('<MTArchiveList archive_type="Weekly"></MTArchiveList>',
     '<MTArchiveList archive_type="Weekly">: archive_type must be one of: Monthly, Category, Individual'),
    ('<$MTEntryBody convert_breaks="yes"$>', '<MTEntryBody convert_breaks="yes">: convert_breaks must be'),
    ('<$MTEntryTitle sanitize="<script>"$>', '<MTEntryTitle sanitize="<script>">: sanitize must be'),
])
def test_bad_attribute_values(source, message):
    assert error_of("\n" + source).startswith("Main Index line 2: " + message)


def test_tags_used_out_of_their_context():
    assert error_of("<$MTPingTitle$>") == "Main Index line 1: <$MTPingTitle$> used outside <MTPings>"
    assert error_of("\n<$MTCalendarDay$>") == "Main Index line 2: <$MTCalendarDay$> used outside <MTCalendar>"
    assert error_of("<MTCalendarIfBlank>x</MTCalendarIfBlank>") == \
        "Main Index line 1: <MTCalendarIfBlank> used outside <MTCalendar>"
    assert error_of("<MTDateHeader>x</MTDateHeader>") == \
        "Main Index line 1: <MTDateHeader> used outside <MTEntries>"
    assert error_of("<$MTPingsSentURL$>") == "Main Index line 1: <$MTPingsSentURL$> used outside <MTPingsSent>"
    assert error_of("<$MTInclude$>") == \
        'Main Index line 1: <$MTInclude$> needs module="..." or file="..." (one of them)'


def test_malformed_tags():
    assert error_of('<$MTEntryTitle encode_html="1$>') == \
        'Main Index line 1: malformed tag <MTEntryTitle: expected attributes like name="value", then > or $>'
    assert error_of("</MTEntries x>") == "Main Index line 1: malformed closing tag </MTEntries: expected >"


def test_tag_forms_and_case(weblog):
    forms = "<$MTBlogName$>|<MTBlogName$>|<$MTBlogName>|<MTBlogName>|<MTBlogName/>|<$mtblogname$>|<$mt:BlogName$>|<$MTBLOGNAME $>"
    assert weblog.render(forms) == "|".join(["Melody's Weblog"] * 8)
    assert weblog.render("<mtentries lastn='1'><$mtentrytitle$></MTEntries>") == "Today"
    # attribute values may hold > and the other quote; single quotes work
    assert weblog.render("""<MTEntries lastn="2" sort_order='ascend'><$MTEntryTitle$></MTEntries>""") == \
        "Late nightToday"
    page = weblog.render("""<MTEntryCategories glue=' > "&" '><$MTCategoryLabel$></MTEntryCategories>""",
                         page="entry", entry=weblog.second)
    assert page == 'Perl > "&" Travel Notes'


def test_text_and_jinja_delimiters_are_text(weblog):
    """Everything but MT tags is output as written: Jinja's delimiters too (an
    author with the "templates" permission must not write code), next to tags
    and at a text's very end; MathML's <mtable> and the like stay text."""
    source = ("{# c #}{% raw %}{{ x }}{% endraw %}{{ 7*7 }}{{ self.__init__ }}\n"
              "{% if blog.id %}{{ blog.name|upper }}: <$MTBlogName$>{% endif %}\n"
              "<math><mtable><mtr><mtd><mtext>x</mtext></mtd></mtr></mtable></math>\n"
              "<p class=\"x\">\n\n  <$MTBlogID$>  </p>\n"
              "{<$MTBlogID$>}{{<$MTBlogID$>}}{%<$MTBlogID$>%}{#<MTEntries lastn=\"1\">#}</MTEntries>{")
    assert weblog.render(source) == source.replace("<$MTBlogName$>", "Melody's Weblog").replace(
        "<$MTBlogID$>", "1").replace('<MTEntries lastn="1">#}</MTEntries>', "#}")
    assert weblog.render("<MTEntries lastn=\"3\">{% if loop.first %}<$MTEntryTitle$>{% endif %}</MTEntries>") \
        == "{% if loop.first %}Today{% endif %}{% if loop.first %}Late night{% endif %}" \
           "{% if loop.first %}Perl & <Python>{% endif %}"


def test_attribute_values_are_taken_as_written(weblog):
    """A glue, a category or an author named in an attribute is used as written:
    a "{" before "{", "%" or "#", or at its end, is not turned into the Jinja
    text that outputs a "{" (that is for the template's text only)."""
    page = weblog.render("<MTEntryCategories glue='{{ {% {'><$MTCategoryLabel$></MTEntryCategories>",
                         page="entry", entry=weblog.second)
    assert page == "Perl{{ {% {Travel Notes"
    braces = Category(blog_id=weblog.blog.id, label="Notes {%")
    weblog.store.save(braces)
    weblog.entry("Braced", "Body", "2026-11-04 00:00:00", [braces])
    assert weblog.render('<MTEntries category="Notes {%"><$MTEntryTitle$></MTEntries>') == "Braced"

def test_translation_is_direct_jinja():
    """Tags become attribute access and filters: nothing to dispatch per tag."""
    jinja, warnings = translate('<MTEntries lastn="3"><$MTEntryTitle encode_html="1"$></MTEntries>', "T")
    assert jinja == ("{% for _mte1 in mt_entries(site, archive, None, now, lastn=3) %}"
                     "{{ _mte1.title|mt_encode_html }}{% endfor %}")
    assert warnings == []
    assert translate("<$MTBlogName$>", "T")[0] == "{{ blog.name }}"


# -- the weblog -------------------------------------------------------------------------------

def test_blog_tags(weblog):
    source = ("<$MTBlogName$>|<$MTBlogDescription$>|<$MTBlogURL$>|<$MTBlogArchiveURL$>|<$MTBlogID$>|"
              "<$MTBlogTimezone$>|<$MTBlogTimezone no_colon=\"1\"$>|<$MTBlogEntryCount$>|<$MTBlogHost$>|"
              "<$MTBlogRelativeURL$>|<$MTCGIPath$>|<$MTTrackbackScript$>|<$MTAdminScript$>|"
              "<$MTPublishCharset$>|<$MTDate$>|<$MTDate format=\"%Y-%m-%dT%H:%M\"$>|<$MTVersion$>|"
              "<$MTDefaultLanguage$>")
    assert weblog.render(source).split("|") == [
        "Melody's Weblog", "Notes &amp; <em>links</em>", BASE, ARCHIVES, "1", "+09:00", "+0900", "4",
        "example.com", "/blog/", CGI, "mt-tb.cgi", "mt.cgi", "utf-8", "November  5, 2026 03:00 PM",
        "2026-11-05T15:00", "2.661-mtpy", "en"]


def test_negative_fractional_timezone(weblog):
    weblog.blog.timezone = -3.5
    assert weblog.render('<$MTBlogTimezone$> <$MTDate format="%H:%M %Z"$>') == "-03:30 02:30 -03:30"


# -- entries ------------------------------------------------------------------------------------

def test_entry_tags_on_the_entry_page(weblog):
    second = weblog.second
    source = ("<$MTEntryTitle$>|<$MTEntryBody$>|<$MTEntryMore$>|<$MTEntryExcerpt$>|<$MTEntryKeywords$>|"
              "<$MTEntryID$>|<$MTEntryID pad=\"1\"$>|<$MTEntryBasename$>|<$MTEntryDate$>|<$MTEntryAuthor$>|"
              "<$MTEntryAuthorEmail$>|<$MTEntryAuthorLink$>|<$MTEntryLink$>|<$MTEntryPermalink$>|"
              "<$MTEntryLink archive_type=\"Monthly\"$>|<$MTEntryLink archive_type=\"Category\"$>|"
              "<$MTEntryCategory$>|<$MTEntryTrackbackLink$>|<$MTEntryTrackbackID$>|<$MTEntryTrackbackCount$>")
    assert weblog.render(source, page="entry", entry=second).split("|") == [
        "Perl & <Python>", "<p>Code <b>here</b></p>", "More <i>text</i>", "Code here", "perl, python",
        "2", "000002", "000002", "November  2, 2026 10:30 AM", "Melody", "melody@example.com",
        '<a href="mailto:melody@example.com">Melody</a>', ARCHIVES + "000002.html",
        ARCHIVES + "000002.html", ARCHIVES + "2026_11.html", ARCHIVES + "cat_perl.html", "Perl",
        weblog.ping_url(second), str(weblog.item(second).id), "2"]


def test_entry_without_pings_email_or_category(weblog):
    source = ("<$MTEntryAuthorLink$>|<$MTEntryTrackbackLink$>|<$MTEntryTrackbackID$>|"
              "<$MTEntryTrackbackCount$>|<$MTEntryTrackbackData$>|<$MTEntryCategory$>")
    assert weblog.render(source, page="entry", entry=weblog.third) == "Bob|||0||Perl"
    assert weblog.render("<$MTEntryCategory$>|<$MTEntryExcerpt$>", page="entry", entry=weblog.today) == \
        "|Own excerpt"


def test_convert_breaks(weblog):
    first = weblog.first
    assert weblog.render("<$MTEntryBody$>", page="entry", entry=first) == \
        "<p>Hello<br />\nworld</p>\n\n<p>Second paragraph</p>"
    assert weblog.render('<$MTEntryBody convert_breaks="0"$>', page="entry", entry=first) == \
        "Hello\nworld\n\nSecond paragraph"
    # the entry says "0"; the attribute wins; a paragraph starting with a block tag is left alone
    assert weblog.render('<$MTEntryBody convert_breaks="1"$>|<$MTEntryMore convert_breaks="1"$>',
                         page="entry", entry=weblog.second) == "<p>Code <b>here</b></p>|<p>More <i>text</i></p>"
    assert weblog.render("[<$MTEntryMore$>]", page="entry", entry=first) == "[]"


def test_entry_conditionals_and_else_forms(weblog):
    source = ("<MTEntryIfExtended>more<MTElse>short</MTEntryIfExtended>|"
              "<MTEntryIfExtended>A<MTElse/>B</MTEntryIfExtended>|"
              "<MTEntryIfExtended>A<MTElse>B</MTElse>C</MTEntryIfExtended>|"
              "<MTEntryIfAllowPings>pings<MTElse>closed</MTEntryIfAllowPings>|"
              "<MTEntryIfAllowPings>only if</MTEntryIfAllowPings>")
    assert weblog.render(source, page="entry", entry=weblog.second) == "more|A|AC|pings|only if"
    assert weblog.render(source, page="entry", entry=weblog.third) == "short|B|B|closed|"


def test_entry_categories_previous_next(weblog):
    source = ('<MTEntryCategories glue=", "><a href="<$MTCategoryArchiveLink$>"><$MTCategoryLabel$></a>'
              '</MTEntryCategories>|<MTEntryPrevious>&laquo; <$MTEntryTitle$> <$MTEntryID$></MTEntryPrevious>|'
              '<MTEntryNext><$MTEntryTitle$> &raquo;</MTEntryNext>')
    assert weblog.render(source, page="entry", entry=weblog.second) == (
        '<a href="%scat_perl.html">Perl</a>, <a href="%scat_travel_notes.html">Travel Notes</a>|'
        "&laquo; First post 1|Late night &raquo;" % (ARCHIVES, ARCHIVES))
    assert weblog.render(source, page="entry", entry=weblog.first) == \
        '<a href="%scat_travel_notes.html">Travel Notes</a>||Perl & <Python> &raquo;' % ARCHIVES
    assert weblog.render(source, page="entry", entry=weblog.today).endswith("|&laquo; Late night 3|")


def test_entry_tags_without_an_entry_render_empty(weblog):
    source = ("[<$MTEntryTitle$>|<$MTEntryID pad=\"1\"$>|<$MTEntryTrackbackCount$>|<$MTEntryDate$>|"
              "<$MTEntryCategory$>|<$MTEntryAuthorLink$>|<$MTEntryTrackbackData$>|<$MTEntryBody$>|"
              "<MTEntryIfExtended>x<MTElse>y</MTEntryIfExtended>|<MTEntryPrevious>p</MTEntryPrevious>|"
              "<MTEntryCategories>c</MTEntryCategories>|<$MTCategoryLabel$>|<$MTArchiveTitle$>|"
              "<$MTArchiveDate$>|<$MTArchiveCount$>|<MTPingsSent>u</MTPingsSent>]")
    assert weblog.render(source) == "[||0||||||y||||||0|]"


def test_global_attributes(weblog):
    def render(tag):
        return weblog.render(tag, page="entry", entry=weblog.second)
    assert render('<$MTEntryTitle encode_html="1"$>') == "Perl &amp; &lt;Python&gt;"
    assert render('<$MTEntryTitle encode_xml="1"$>') == "Perl &amp; &lt;Python&gt;"
    assert render('<$MTBlogName encode_html="1"$>') == "Melody&#39;s Weblog"
    assert render('<$MTBlogName encode_js="1"$>') == "Melody\\x27s Weblog"
    assert render('<$MTEntryTitle encode_url="1"$>') == "Perl%20%26%20%3CPython%3E"
    assert render('<$MTEntryTitle remove_html="1"$>') == "Perl & "
    assert render('<$MTEntryTitle dirify="1"$>|<$MTCategoryLabel dirify="1"$>') == "perl|"
    assert render('<$MTEntryCategory dirify="1"$>') == "perl"
    assert render('<$MTEntryTitle trim_to="4"$>') == "Perl"
    assert render('<$MTEntryTitle lower_case="1"$>|<$MTEntryTitle upper_case="1"$>') == \
        "perl & <python>|PERL & <PYTHON>"
    assert render('<$MTBlogDescription decode_html="1"$>') == "Notes & <em>links</em>"
    assert render('<$MTBlogDescription remove_html="1"$>') == "Notes &amp; links"
    assert render('<$MTEntryMore sanitize="1"$>|<$MTEntryMore sanitize="b"$>') == "More <i>text</i>|More text"
    assert render('<$MTEntryID zero_pad="4"$>|<$MTEntryID space_pad="3"$>') == "0002|  2"
    assert render('<$MTEntryTitle encode_html="0" trim_to="0"$>') == "Perl & <Python>"
    # the order is fixed whatever the order written: tags removed, then trimmed, then escaped
    assert render('<$MTEntryTitle encode_html="1" trim_to="6" remove_html="1"$>') == "Perl &amp;"
    assert weblog.render('<$MTEntryBody convert_breaks="0" strip_linefeeds="1"$>', page="entry",
                         entry=weblog.first) == "HelloworldSecond paragraph"
    assert render('<$MTEntryDate format="%B" upper_case="1"$>') == "NOVEMBER"


def test_date_codes(weblog):
    codes = "%a|%A|%b|%B|%d|%e|%H|%I|%j|%k|%l|%m|%M|%p|%S|%y|%Y|%Z|%%|%x|%X"
    source = '<$MTEntryDate format="%s"$>' % codes
    assert weblog.render(source, page="entry", entry=weblog.second).split("|") == [
        "Mon", "Monday", "Nov", "November", "02", " 2", "10", "10", "306", "10", "10", "11", "30", "AM",
        "00", "26", "2026", "+09:00", "%", "November  2, 2026", "10:30 AM"]
    # in the weblog's time: 20:00 UTC on the 30th is 05:00 on the 31st in +09:00
    assert weblog.render('<$MTEntryDate format="%d %H %I %k %l %p"$>', page="entry", entry=weblog.first) == \
        "31 05 05  5  5 AM"
    assert weblog.render('<$MTEntryDate format="%I %l %p|%a"$>', page="entry", entry=weblog.third) == \
        "11 11 PM|Mon"
    assert weblog.render('<$MTEntryDate format="%I %p %e"$>', page="entry", entry=weblog.today) == "12 PM  5"


# -- <MTEntries> ------------------------------------------------------------------------------

@pytest.mark.parametrize("attributes, ids", [
    ("", "5,3,2,1,"),
    ('lastn="2"', "5,3,"),
    ('lastn="2" offset="1"', "3,2,"),
    ('sort_order="ascend"', "1,2,3,5,"),
    ('lastn="2" sort_order="ascend"', "3,5,"),
    ('category="Perl"', "3,2,"),
    ('category="Travel Notes" lastn="1"', "2,"),
    ('category="No such"', ""),
    ('author="Bob"', "3,"),
    ('days="3"', "5,3,"),
    ('lastn="0"', "5,3,2,1,"),      # MT took 0 as no lastn
])
def test_entries_on_the_index(weblog, attributes, ids):
    assert weblog.render("<MTEntries %s><$MTEntryID$>,</MTEntries>" % attributes) == ids


def test_entries_on_the_index_default_to_the_15_newest(weblog):
    for day in range(1, 16):
        weblog.entry("Old %d" % day, "x", "2026-09-%02d 00:00:00" % day, [])
    titles = weblog.render("<MTEntries><$MTEntryTitle$>|</MTEntries>").split("|")[:-1]
    assert len(titles) == 15 and titles[:5] == ["Today", "Late night", "Perl & <Python>", "First post", "Old 15"]
    assert len(weblog.render('<MTEntries lastn="100">x</MTEntries>')) == 19


def test_entries_on_archive_pages(weblog):
    template = "<MTEntries><$MTEntryID$>,</MTEntries>"
    assert weblog.render(template, page="monthly", month=(2026, 11)) == "5,3,2,"
    assert weblog.render(template, page="monthly", month=(2026, 10)) == "1,"
    assert weblog.render(template, page="category", category=weblog.perl) == "3,2,"
    assert weblog.render(template, page="category", category=weblog.travel) == "2,1,"
    assert weblog.render('<MTEntries lastn="1"><$MTEntryID$>,</MTEntries>', page="monthly", month=(2026, 11)) == "5,"
    # category/author/days choose from the whole weblog
    assert weblog.render('<MTEntries category="Travel Notes"><$MTEntryID$>,</MTEntries>', page="monthly",
                         month=(2026, 11)) == "2,1,"
    # an entry's own page is not a listing: a sidebar's <MTEntries> lists the weblog's
    assert weblog.render('<MTEntries lastn="3"><$MTEntryID$>,</MTEntries>|<$MTEntryID$>', page="entry",
                         entry=weblog.first) == "5,3,2,|1"
    # an index given as an ArchiveView without a kind behaves as an index
    assert weblog.render(template, archive=ArchiveView(None, weblog.site())) == "5,3,2,1,"


def test_date_header_and_footer(weblog):
    source = ('<MTEntries><MTDateHeader>[<$MTEntryDate format="%m/%d"$>]</MTDateHeader><$MTEntryID$>'
              "<MTDateFooter>;</MTDateFooter></MTEntries>")
    assert weblog.render(source) == "[11/05]5;[11/02]32;[10/31]1;"
    # inside a nested loop, the header still follows the entries
    nested = ('<MTEntries><MTEntryCategories glue=","><MTDateHeader>*</MTDateHeader><$MTCategoryLabel$>'
              "</MTEntryCategories>|</MTEntries>")
    assert weblog.render(nested) == "|*Perl|Perl,Travel Notes|*Travel Notes|"


def test_entries_header_and_footer(weblog):
    source = ('<MTEntries lastn="2"><MTEntriesHeader><ul></MTEntriesHeader><li><$MTEntryID$></li>'
              "<MTEntriesFooter></ul></MTEntriesFooter></MTEntries>")
    assert weblog.render(source) == "<ul><li>5</li><li>3</li></ul>"


# -- pings ------------------------------------------------------------------------------------

PING_LINE = "<MTPings><$MTPingID$>:<$MTPingTitle$>;</MTPings>"


def test_pings_of_the_entry_oldest_first_or_lastn_newest_first(weblog):
    page = dict(page="entry", entry=weblog.second)
    assert weblog.render(PING_LINE, **page) == "1:alert(1)Nice &quot;post&quot;;2:Reply;"
    assert weblog.render('<MTPings lastn="1"><$MTPingID$>;</MTPings>', **page) == "2;"
    assert weblog.render('<MTPings lastn="5"><$MTPingID$>;</MTPings>', **page) == "2;1;"
    assert weblog.render(PING_LINE, page="entry", entry=weblog.first) == ""


def test_ping_fields(weblog):
    source = ("<MTPings lastn=\"1\"><$MTPingID$>|<$MTPingTitle$>|<$MTPingURL$>|<$MTPingExcerpt$>|"
              "<$MTPingBlogName$>|<$MTPingIP$>|<$MTPingDate$>|<$MTPingDate format=\"%Y-%m-%d %H:%M\"$></MTPings>")
    assert weblog.render(source, page="entry", entry=weblog.second).split("|") == [
        "2", "Reply", "http://other.example/post?a=1&amp;b=2", "Plain words", "Other Blog", "10.0.0.2",
        "November  4, 2026 09:00 PM", "2026-11-04 21:00"]


def test_pings_owner_entry_in_loop_else_category_else_weblog(weblog):
    assert weblog.render('<MTEntries lastn="3"><$MTEntryID$>[<MTPings><$MTPingID$></MTPings>]</MTEntries>') == \
        "5[]3[]2[12]"
    assert weblog.render(PING_LINE, page="category", category=weblog.perl) == "3:Category ping;"
    assert weblog.render("<MTCategories><$MTCategoryLabel$>[<MTPings><$MTPingID$></MTPings>]</MTCategories>",
                         page="entry", entry=weblog.second) == "Perl[3]Travel Notes[]"
    assert weblog.render("<MTPings><$MTPingID$>,</MTPings>") == "1,2,3,"
    assert weblog.render('<MTPings lastn="2"><$MTPingID$>,</MTPings>') == "3,2,"


def test_pings_header_footer_and_pings_sent(weblog):
    source = ("<MTPings><MTPingsHeader><ol></MTPingsHeader><li><$MTPingID$></li>"
              "<MTPingsFooter></ol></MTPingsFooter></MTPings>|"
              '<MTPingsSent glue=" "><a href="<$MTPingsSentURL$>">x</a></MTPingsSent>')
    assert weblog.render(source, page="entry", entry=weblog.second) == (
        '<ol><li>1</li><li>2</li></ol>|<a href="http://pinged.example/a">x</a> '
        '<a href="http://pinged.example/b">x</a>')


def test_ping_fields_are_always_inert(weblog):
    """Pings come from anyone: whatever they carry, MTPing* tags show escaped
    plain text, and a URL only when it is http(s)."""
    item = weblog.item(weblog.second)
    for url in ('http://x.example/" onmouseover="alert(1)', " JaVaScRiPt:alert(1)", "&#106;avascript:alert(1)",
                "data:text/html,<script>alert(1)</script>", "<script>alert(1)</script>"):
        weblog.ping(item, title="<b onclick='x'>t</b>", excerpt="&lt;script&gt;alert(1)&lt;/script&gt;",
                    source_url=url, blog_name='"><script>alert(1)</script>', created_on="2026-11-04 12:00:00")
    fields = ('<a href="<$MTPingURL$>" title="<$MTPingTitle$>"><$MTPingBlogName$></a>'
              "<$MTPingExcerpt$>")
    variants = ["", ' encode_html="1"', ' decode_html="1"', ' encode_xml="1"', ' remove_html="0"',
                ' sanitize="1"', ' encode_js="1"']
    source = "<MTPings>%s\n</MTPings>" % "".join(fields.replace("$>", variant + "$>") for variant in variants)
    page = weblog.render(source, page="entry", entry=weblog.second)
    lines = page.split("\n")[:-1]
    assert len(lines) == 7
    for line in lines:
        assert "<script" not in line and "<img" not in line and "<b" not in line
        assert "javascript" not in line.lower() and "data:" not in line and "onmouseover=\"" not in line
        # every quote in the output is one the template wrote
        assert line.count('"') == 4 * len(variants)
        assert "'" not in line
    assert lines[0].startswith(
        '<a href="" title="alert(1)Nice &quot;post&quot;">Evil&#39;s</a>'
        "&quot;Quoted&quot; &amp; bold it\u2019s "
        '<a href="" title="alert(1)Nice &quot;post&quot;">Evil&#39;s</a>')   # encode_html: not escaped twice
    assert lines[2].startswith('<a href="http://x.example/&quot; onmouseover=&quot;alert(1)" title="t">'
                               "&quot;&gt;alert(1)</a>&lt;script&gt;alert(1)&lt;/script&gt;")
    for line in lines[3:]:
        assert line.startswith('<a href="" title="t">&quot;&gt;alert(1)</a>&lt;script&gt;alert(1)&lt;/script&gt;')
    # encode_js: HTML-escaped first, then safe inside a script string too
    assert lines[0].endswith('<a href="" title="alert(1)Nice \\x26quot;post\\x26quot;">Evil\\x26#39;s</a>'
                             "\\x26quot;Quoted\\x26quot; \\x26amp; bold it\u2019s ")


def test_ping_text_transformations_still_apply(weblog):
    source = ('<MTPings lastn="1"><$MTPingTitle upper_case="1"$>|<$MTPingExcerpt trim_to="5"$>|'
              '<$MTPingBlogName dirify="1"$>|<$MTPingURL encode_url="1"$></MTPings>')
    assert weblog.render(source, page="entry", entry=weblog.second) == \
        "REPLY|Plain|other_blog|http%3A%2F%2Fother.example%2Fpost%3Fa%3D1%26b%3D2"


# -- categories ---------------------------------------------------------------------------------

def test_categories(weblog):
    assert weblog.render("<MTCategories><$MTCategoryLabel$>(<$MTCategoryCount$>) </MTCategories>") == \
        "Perl(2) Travel Notes(2) "
    assert weblog.render('<MTCategories show_empty="1" glue=", "><$MTCategoryLabel$></MTCategories>') == \
        "Empty, Perl, Travel Notes"
    assert weblog.render("<MTCategories><$MTCategoryLabel$>:<MTEntries><$MTEntryID$></MTEntries>;</MTCategories>") == \
        "Perl:32;Travel Notes:21;"


def test_category_tags(weblog):
    source = ("<MTCategories><$MTCategoryID$>|<$MTCategoryLabel$>|<$MTCategoryDescription$>|"
              "<$MTCategoryArchiveLink$>|<MTCategoryIfAllowPings><$MTCategoryTrackbackLink$>"
              "(<$MTCategoryTrackbackCount$>)<MTElse>no pings</MTCategoryIfAllowPings>\n</MTCategories>")
    assert weblog.render(source) == (
        "%d|Perl|All about <b>Perl</b>|%scat_perl.html|%s(1)\n"
        "%d|Travel Notes||%scat_travel_notes.html|no pings\n"
        % (weblog.perl.id, ARCHIVES, weblog.ping_url(weblog.perl), weblog.travel.id, ARCHIVES))
    # on a category page, category tags refer to the page's category
    assert weblog.render("<$MTCategoryLabel$>|<$MTArchiveTitle$>|<$MTArchiveType$>|<$MTArchiveCategory$>",
                         page="category", category=weblog.travel) == \
        "Travel Notes|Travel Notes|Category|Travel Notes"


# -- archives -------------------------------------------------------------------------------------

def test_archive_list_monthly(weblog):
    source = '<MTArchiveList><a href="<$MTArchiveLink$>"><$MTArchiveTitle$></a>(<$MTArchiveCount$>) </MTArchiveList>'
    assert weblog.render(source) == ('<a href="%s2026_11.html">November 2026</a>(3) '
                                     '<a href="%s2026_10.html">October 2026</a>(1) ' % (ARCHIVES, ARCHIVES))
    assert weblog.render('<MTArchiveList archive_type="Monthly" lastn="1"><$MTArchiveTitle$></MTArchiveList>') == \
        "November 2026"
    dates = ('<MTArchiveList><$MTArchiveDate$>|<$MTArchiveDate format="%Y-%m-%d %H:%M:%S"$>|'
             '<$MTArchiveDateEnd format="%Y-%m-%d %H:%M:%S"$>;</MTArchiveList>')
    assert weblog.render(dates) == ("November  1, 2026 12:00 AM|2026-11-01 00:00:00|2026-11-30 23:59:59;"
                                    "October  1, 2026 12:00 AM|2026-10-01 00:00:00|2026-10-31 23:59:59;")
    assert weblog.render("<MTArchiveList><$MTArchiveTitle$>:<MTEntries><$MTEntryID$></MTEntries>;</MTArchiveList>") == \
        "November 2026:532;October 2026:1;"


def test_archive_list_category_and_individual(weblog):
    assert weblog.render('<MTArchiveList archive_type="Category"><$MTArchiveLink$> <$MTArchiveTitle$> '
                         '<$MTArchiveCount$>[<$MTArchiveDate$>];</MTArchiveList>') == (
        "%scat_perl.html Perl 2[];%scat_travel_notes.html Travel Notes 2[];" % (ARCHIVES, ARCHIVES))
    assert weblog.render('<MTArchiveList archive_type="Individual" glue="|"><$MTArchiveTitle$> '
                         '<$MTArchiveDate format="%d"$></MTArchiveList>') == \
        "Today 05|Late night 02|Perl & <Python> 02|First post 31"


def test_archive_tags_on_a_monthly_page(weblog):
    source = ('<$MTArchiveTitle$>|<$MTArchiveLink$>|<$MTArchiveDate format="%B %Y"$>|<$MTArchiveCount$>|'
              "<MTArchivePrevious>&laquo; <$MTArchiveTitle$> <MTEntries><$MTEntryID$></MTEntries></MTArchivePrevious>|"
              "<MTArchiveNext><$MTArchiveTitle$> &raquo;</MTArchiveNext>")
    assert weblog.render(source, page="monthly", month=(2026, 11)) == \
        "November 2026|%s2026_11.html|November 2026|3|&laquo; October 2026 1|" % ARCHIVES
    assert weblog.render(source, page="monthly", month=(2026, 10)) == \
        "October 2026|%s2026_10.html|October 2026|1||November 2026 &raquo;" % ARCHIVES
    neighbours = "<MTArchivePrevious><$MTArchiveTitle$></MTArchivePrevious>|<MTArchiveNext><$MTArchiveTitle$></MTArchiveNext>"
    assert weblog.render(neighbours, page="entry", entry=weblog.second) == "First post|Late night"
    assert weblog.render(neighbours, page="category", category=weblog.perl) == "|"


# -- the calendar -----------------------------------------------------------------------------------


def test_calendar_of_this_month(weblog):
    link = '<a href="%s%%06d.html">%%d</a>' % ARCHIVES
    expected = ("[1 %s 3 4 %s! 6 7 ]\n"
                "[8 9 10 11 12 13 14 ]\n"
                "[15 16 17 18 19 20 21 ]\n"
                "[22 23 24 25 26 27 28 ]\n"
                "[29 30 _ _ _ _ _ ]\n") % (link % (2, 2), link % (5, 5))   # the day's first entry
    assert weblog.render(CALENDAR % "") == expected
    assert weblog.render(CALENDAR % ' month="this"', page="entry", entry=weblog.first) == expected
    assert weblog.render(CALENDAR % ' month="202611"') == expected


def test_calendar_of_another_month(weblog):
    # October 2026 starts on a Thursday; 20:00 UTC on the 30th is the 31st in +09:00
    expected = ("[_ _ _ _ 1 2 3 ]\n[4 5 6 7 8 9 10 ]\n[11 12 13 14 15 16 17 ]\n[18 19 20 21 22 23 24 ]\n"
                '[25 26 27 28 29 30 <a href="%s000001.html">31</a> ]\n' % ARCHIVES)
    assert weblog.render(CALENDAR % ' month="last"') == expected
    assert weblog.render(CALENDAR % ' month="202610"') == expected
    assert weblog.render(CALENDAR % "", page="monthly", month=(2026, 10)) == expected
    assert weblog.render(CALENDAR % ' month="last"', now="2027-01-10 00:00:00").startswith("[_ _ 1 2 3 4 5 ]")


def test_calendar_cells(weblog):
    source = '<MTCalendar month="202610"><$MTCalendarCellNumber$>=<$MTCalendarDate format="%m%d"$>,</MTCalendar>'
    expected = "".join("%d=," % n for n in range(1, 5)) + "".join(
        "%d=10%02d," % (n, n - 4) for n in range(5, 36))
    assert weblog.render(source) == expected
    assert weblog.render('<MTCalendar><MTCalendarIfToday><$MTCalendarDate$></MTCalendarIfToday></MTCalendar>') == \
        "November  5, 2026 12:00 AM"


# -- TrackBack data -------------------------------------------------------------------------------------

# (primary category, excerpt, dc:date) of the entries that take pings, by id
RDF_FIELDS = {1: ("Travel Notes", "Hello world Second paragraph", "2026-10-31T05:00:00+09:00"),
              2: ("Perl", "Code here", "2026-11-02T10:30:00+09:00"),
              5: ("", "Own excerpt", "2026-11-05T12:00:00+09:00")}


def rdf_of(weblog, entry, about, comment_wrap=True):
    subject, excerpt, date = RDF_FIELDS[entry.id]
    return rdf_block(about, weblog.ping_url(entry), entry.title, about, subject, excerpt, "Melody", date,
                     comment_wrap)


def test_trackback_data_on_the_entry_page_is_the_rdf_block(weblog):
    page = weblog.render("<head>\n<$MTEntryTrackbackData$>\n</head>", page="entry", entry=weblog.second)
    block = rdf_of(weblog, weblog.second, ARCHIVES + "000002.html")
    assert page == "<head>\n%s\n</head>" % block and block.startswith("<!--\n<rdf:RDF")
    assert 'dc:title="Perl &amp; &lt;Python&gt;"' in block
    assert weblog.render('<$MTEntryTrackbackData comment_wrap="0"$>', page="entry", entry=weblog.second) == \
        rdf_of(weblog, weblog.second, ARCHIVES + "000002.html", comment_wrap=False)
    assert weblog.render("<$MTEntryTrackbackData$>", page="entry", entry=weblog.third) == ""


def test_trackback_data_on_listing_pages(weblog):
    template = "<MTEntries><$MTEntryTrackbackData$></MTEntries>"
    second, first, today = weblog.second, weblog.first, weblog.today
    assert weblog.render(template) == "".join(
        rdf_of(weblog, entry, ARCHIVES + "%06d.html" % entry.id) for entry in (today, second, first))
    monthly = ARCHIVES + "2026_11.html#%06d"
    assert weblog.render(template, page="monthly", month=(2026, 11)) == \
        rdf_of(weblog, today, monthly % 5) + rdf_of(weblog, second, monthly % 2)
    assert weblog.render(template, page="category", category=weblog.perl) == \
        rdf_of(weblog, second, ARCHIVES + "cat_perl.html#000002")


# -- includes ---------------------------------------------------------------------------------------------

def test_include_module_and_file(weblog):
    weblog.module("Sidebar", "<$MTBlogName$>|<$MTEntryTitle$>")
    weblog.templates["file:header.txt"] = "<p>Static header</p>"
    assert weblog.render('<$MTInclude file="header.txt"$>\n<$MTInclude module="Sidebar"$>', page="entry",
                         entry=weblog.second) == "<p>Static header</p>\nMelody's Weblog|Perl & <Python>"
    # inside a loop, the included module sees the loop's entry or category
    assert weblog.render('<MTEntries lastn="2">[<MTInclude module="Sidebar">]</MTEntries>') == \
        "[Melody's Weblog|Today][Melody's Weblog|Late night]"
    weblog.module("Label", "<$MTCategoryLabel$>")
    assert weblog.render('<MTCategories>(<$MTInclude module="Label"$>)</MTCategories>') == "(Perl)(Travel Notes)"


# -- comments and search: mtpy has neither ------------------------------------------------------------

COMMENTS_AND_SEARCH = """\
<MTEntries lastn="1">
<$MTEntryTitle$> Comments (<$MTEntryCommentCount$>)
<MTEntryIfAllowComments><a href="<$MTCGIPath$><$MTCommentScript$>?entry_id=<$MTEntryID$>">Comment</a><MTElse>Comments closed</MTEntryIfAllowComments>
<MTComments><$MTCommentBody$> <$MTCommentAuthorLink spam_protect="1"$> <$MTCommentDate format="%x"$></MTComments>
<MTEntryIfCommentsOpen><form><$MTCommentFields$></form></MTEntryIfCommentsOpen>
</MTEntries>
<form action="<$MTCGIPath$><$MTSearchScript$>"><input value="<$MTSearchString$>" /></form>
<MTSearchResults><$MTEntryTitle$></MTSearchResults><MTNoSearch>none</MTNoSearch><MTNoSearchResults>none</MTNoSearchResults>
<$MTBlogCommentCount$> <MTComments>again <$MTCommentBody$></MTComments> <$MTCommentPreviewBody$>
<MTBlogIfCommentsOpen>open<MTElse>closed</MTBlogIfCommentsOpen> <$MTRemoteSignInLink$><$MTRemoteSignOutLink$>
"""


def test_comment_and_search_tags_render_nothing_and_warn_once(weblog):
    page = weblog.render(COMMENTS_AND_SEARCH, name="Main Index")
    assert page == (
        "\nToday Comments (0)\nComments closed\n\n\n\n"
        '<form action="%s"><input value="" /></form>\n'
        "\n0  \nclosed \n" % CGI)
    assert weblog.warnings == [
        "Main Index line 2: <$MTEntryCommentCount$> (comments) renders 0: mtpy has no comments",
        "Main Index line 3: <MTEntryIfAllowComments> (comments) renders nothing: mtpy has no comments",
        "Main Index line 3: <$MTCommentScript$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 4: <MTComments> (comments) renders nothing: mtpy has no comments",
        "Main Index line 4: <$MTCommentBody$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 4: <$MTCommentAuthorLink$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 4: <$MTCommentDate$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 5: <MTEntryIfCommentsOpen> (comments) renders nothing: mtpy has no comments",
        "Main Index line 5: <$MTCommentFields$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 7: <$MTSearchScript$> (search) renders nothing: mtpy has no search",
        "Main Index line 7: <$MTSearchString$> (search) renders nothing: mtpy has no search",
        "Main Index line 8: <MTSearchResults> (search) renders nothing: mtpy has no search",
        "Main Index line 8: <MTNoSearch> (search) renders nothing: mtpy has no search",
        "Main Index line 8: <MTNoSearchResults> (search) renders nothing: mtpy has no search",
        "Main Index line 9: <$MTBlogCommentCount$> (comments) renders 0: mtpy has no comments",
        "Main Index line 9: <$MTCommentPreviewBody$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 10: <MTBlogIfCommentsOpen> (comments) renders nothing: mtpy has no comments",
        "Main Index line 10: <$MTRemoteSignInLink$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 10: <$MTRemoteSignOutLink$> (comments) renders nothing: mtpy has no comments",
    ]


def test_comment_tags_still_need_correct_nesting():
    assert error_of("<MTComments>\n<MTElse></MTComments>") == \
        "Main Index line 2: <MTElse> inside <MTComments>, which is not a conditional tag"
    assert error_of("<MTComments><$MTCommentBody$>") == \
        "Main Index line 1: <MTComments> is not closed (no </MTComments>)"
    assert error_of('<$MTCommentBody trim_to="x"$>').startswith(
        'Main Index line 1: <MTCommentBody trim_to="x">: trim_to must be a whole number')


# -- a whole Main Index, as MT 2.661 shipped it with the manual's TrackBack additions -------------------

MAIN_INDEX = """\
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=<$MTPublishCharset$>" />
<title><$MTBlogName$></title>
<link rel="stylesheet" href="<$MTBlogURL$>styles-site.css" type="text/css" />
<link rel="alternate" type="application/rss+xml" title="RSS" href="<$MTBlogURL$>index.rdf" />
<script type="text/javascript" language="javascript">
<!--
function OpenComments (c) {
    window.open(c, 'comments', 'width=480,height=480,scrollbars=yes,status=yes');
}
function OpenTrackback (c) {
    window.open(c, 'trackback', 'width=480,height=480,scrollbars=yes,status=yes');
}
//-->
</script>
</head>
<body>
<div id="banner">
<h1><a href="<$MTBlogURL$>" accesskey="1"><$MTBlogName$></a></h1>
<span class="description"><$MTBlogDescription$></span>
</div>
<div id="content">
<div class="blog">
<MTEntries>
<$MTEntryTrackbackData$>
<MTDateHeader>
<h2 class="date"><$MTEntryDate format="%x"$></h2>
</MTDateHeader>
<div class="blogbody">
<a name="<$MTEntryID pad="1"$>"></a>
<h3 class="title"><$MTEntryTitle$></h3>
<$MTEntryBody$>
<MTEntryIfExtended>
<span class="extended"><a href="<$MTEntryPermalink$>#more">Continue reading "<$MTEntryTitle$>"</a></span><br />
</MTEntryIfExtended>
<div class="posted">Posted by <$MTEntryAuthor$> at <a href="<$MTEntryPermalink$>"><$MTEntryDate format="%X"$></a>
<MTEntryIfAllowComments>| <a href="<$MTCGIPath$><$MTCommentScript$>?entry_id=<$MTEntryID$>" onclick="OpenComments(this.href); return false">Comments (<$MTEntryCommentCount$>)</a>
</MTEntryIfAllowComments><MTEntryIfAllowPings>| <a href="<$MTCGIPath$>mt-tb.cgi?__mode=view&amp;entry_id=<$MTEntryID$>" onclick="OpenTrackback(this.href); return false">TrackBack (<$MTEntryTrackbackCount$>)</a>
</MTEntryIfAllowPings></div>
</div>
</MTEntries>
</div>
</div>
<div id="links">
<div align="center" class="calendar">
<table border="0" cellspacing="4" cellpadding="0" summary="Monthly calendar with links to each day's posts">
<caption class="calendarhead"><$MTDate format="%B %Y"$></caption>
<tr><th abbr="Sunday">Sun</th><th abbr="Monday">Mon</th><th abbr="Tuesday">Tue</th><th abbr="Wednesday">Wed</th><th abbr="Thursday">Thu</th><th abbr="Friday">Fri</th><th abbr="Saturday">Sat</th></tr>
<MTCalendar><MTCalendarWeekHeader><tr></MTCalendarWeekHeader>
<td align="center"><span class="calendar"><MTCalendarIfEntries><MTEntries lastn="1"><a href="<$MTEntryPermalink$>"><$MTCalendarDay$></a></MTEntries></MTCalendarIfEntries><MTCalendarIfNoEntries><$MTCalendarDay$></MTCalendarIfNoEntries><MTCalendarIfBlank>&nbsp;</MTCalendarIfBlank></span></td><MTCalendarWeekFooter>
</tr></MTCalendarWeekFooter></MTCalendar>
</table>
</div>
<div class="sidetitle">Search</div>
<div class="side">
<form method="get" action="<$MTCGIPath$><$MTSearchScript$>">
<input type="hidden" name="IncludeBlogs" value="<$MTBlogID$>" />
<label for="search" accesskey="4">Search this site:</label><br />
<input id="search" name="search" size="20" /><br />
<input type="submit" value="Search" />
</form>
</div>
<div class="sidetitle">Archives</div>
<div class="side">
<MTArchiveList archive_type="Monthly"><a href="<$MTArchiveLink$>"><$MTArchiveTitle$></a><br />
</MTArchiveList></div>
<div class="sidetitle">Recent Entries</div>
<div class="side">
<MTEntries lastn="10"><a href="<$MTEntryPermalink$>"><$MTEntryTitle$></a><br />
</MTEntries></div>
<div class="syndicate">
<a href="<$MTBlogURL$>index.rdf">Syndicate this site (XML)</a>
</div>
<div class="powered">
Powered by<br /><a href="http://www.movabletype.org">Movable Type <$MTVersion$></a><br />
</div>
</div>
<br clear="all" />
</body>
</html>
"""

MAIN_INDEX_HEAD = """\
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>Melody's Weblog</title>
<link rel="stylesheet" href="http://example.com/blog/styles-site.css" type="text/css" />
<link rel="alternate" type="application/rss+xml" title="RSS" href="http://example.com/blog/index.rdf" />
<script type="text/javascript" language="javascript">
<!--
function OpenComments (c) {
    window.open(c, 'comments', 'width=480,height=480,scrollbars=yes,status=yes');
}
function OpenTrackback (c) {
    window.open(c, 'trackback', 'width=480,height=480,scrollbars=yes,status=yes');
}
//-->
</script>
</head>
<body>
<div id="banner">
<h1><a href="http://example.com/blog/" accesskey="1">Melody's Weblog</a></h1>
<span class="description">Notes &amp; <em>links</em></span>
</div>
<div id="content">
<div class="blog">
"""

MAIN_INDEX_ENTRIES = """
%(rdf5)s

<h2 class="date">November  5, 2026</h2>

<div class="blogbody">
<a name="000005"></a>
<h3 class="title">Today</h3>
<p>Now</p>

<div class="posted">Posted by Melody at <a href="http://example.com/blog/archives/000005.html">12:00 PM</a>
| <a href="http://example.com/cgi-bin/mt-tb.cgi?__mode=view&amp;entry_id=5" onclick="OpenTrackback(this.href); return false">TrackBack (0)</a>
</div>
</div>



<h2 class="date">November  2, 2026</h2>

<div class="blogbody">
<a name="000003"></a>
<h3 class="title">Late night</h3>
<p>Short</p>

<div class="posted">Posted by Bob at <a href="http://example.com/blog/archives/000003.html">11:00 PM</a>
</div>
</div>

%(rdf2)s

<div class="blogbody">
<a name="000002"></a>
<h3 class="title">Perl & <Python></h3>
<p>Code <b>here</b></p>

<span class="extended"><a href="http://example.com/blog/archives/000002.html#more">Continue reading "Perl & <Python>"</a></span><br />

<div class="posted">Posted by Melody at <a href="http://example.com/blog/archives/000002.html">10:30 AM</a>
| <a href="http://example.com/cgi-bin/mt-tb.cgi?__mode=view&amp;entry_id=2" onclick="OpenTrackback(this.href); return false">TrackBack (2)</a>
</div>
</div>

%(rdf1)s

<h2 class="date">October 31, 2026</h2>

<div class="blogbody">
<a name="000001"></a>
<h3 class="title">First post</h3>
<p>Hello<br />
world</p>

<p>Second paragraph</p>

<div class="posted">Posted by Melody at <a href="http://example.com/blog/archives/000001.html">05:00 AM</a>
| <a href="http://example.com/cgi-bin/mt-tb.cgi?__mode=view&amp;entry_id=1" onclick="OpenTrackback(this.href); return false">TrackBack (0)</a>
</div>
</div>
"""

MAIN_INDEX_SIDEBAR = """
</div>
</div>
<div id="links">
<div align="center" class="calendar">
<table border="0" cellspacing="4" cellpadding="0" summary="Monthly calendar with links to each day's posts">
<caption class="calendarhead">November 2026</caption>
<tr><th abbr="Sunday">Sun</th><th abbr="Monday">Mon</th><th abbr="Tuesday">Tue</th><th abbr="Wednesday">Wed</th><th abbr="Thursday">Thu</th><th abbr="Friday">Fri</th><th abbr="Saturday">Sat</th></tr>
%(calendar)s
</table>
</div>
<div class="sidetitle">Search</div>
<div class="side">
<form method="get" action="http://example.com/cgi-bin/">
<input type="hidden" name="IncludeBlogs" value="1" />
<label for="search" accesskey="4">Search this site:</label><br />
<input id="search" name="search" size="20" /><br />
<input type="submit" value="Search" />
</form>
</div>
<div class="sidetitle">Archives</div>
<div class="side">
<a href="http://example.com/blog/archives/2026_11.html">November 2026</a><br />
<a href="http://example.com/blog/archives/2026_10.html">October 2026</a><br />
</div>
<div class="sidetitle">Recent Entries</div>
<div class="side">
<a href="http://example.com/blog/archives/000005.html">Today</a><br />
<a href="http://example.com/blog/archives/000003.html">Late night</a><br />
<a href="http://example.com/blog/archives/000002.html">Perl & <Python></a><br />
<a href="http://example.com/blog/archives/000001.html">First post</a><br />
</div>
<div class="syndicate">
<a href="http://example.com/blog/index.rdf">Syndicate this site (XML)</a>
</div>
<div class="powered">
Powered by<br /><a href="http://www.movabletype.org">Movable Type 2.661-mtpy</a><br />
</div>
</div>
<br clear="all" />
</body>
</html>
"""


def calendar_cell(day, link=None):
    """One day of MAIN_INDEX's calendar; day None is a blank cell."""
    content = "&nbsp;" if day is None else (
        '<a href="%s%06d.html">%d</a>' % (ARCHIVES, link, day) if link else str(day))
    return '<td align="center"><span class="calendar">%s</span></td>' % content


def test_main_index(weblog):
    page = weblog.render(MAIN_INDEX, name="Main Index")
    # November 2026: Sunday the 1st to Monday the 30th; entries on the 2nd and the 5th
    days = list(range(1, 31)) + [None] * 5
    weeks = [days[n:n + 7] for n in range(0, 35, 7)]
    links = {2: 2, 5: 5}
    calendar = "".join("<tr>" + "".join("\n" + calendar_cell(day, links.get(day)) for day in week) + "\n</tr>"
                       for week in weeks)
    expected = (MAIN_INDEX_HEAD
                + MAIN_INDEX_ENTRIES % {"rdf5": rdf_of(weblog, weblog.today, ARCHIVES + "000005.html"),
                                        "rdf2": rdf_of(weblog, weblog.second, ARCHIVES + "000002.html"),
                                        "rdf1": rdf_of(weblog, weblog.first, ARCHIVES + "000001.html")}
                + MAIN_INDEX_SIDEBAR % {"calendar": calendar})
    assert page == expected
    assert weblog.warnings == [
        "Main Index line 39: <MTEntryIfAllowComments> (comments) renders nothing: mtpy has no comments",
        "Main Index line 39: <$MTCommentScript$> (comments) renders nothing: mtpy has no comments",
        "Main Index line 39: <$MTEntryCommentCount$> (comments) renders 0: mtpy has no comments",
        "Main Index line 58: <$MTSearchScript$> (search) renders nothing: mtpy has no search",
    ]


# -- the runtime on its own ---------------------------------------------------------------------------------

def test_convert_breaks_function():
    assert tags.convert_breaks("") == ""
    assert tags.convert_breaks("one\r\ntwo\r\n\r\n  \nthree") == "<p>one<br />\ntwo</p>\n\n<p>three</p>"
    assert tags.convert_breaks("<ul>\n<li>x</li>\n</ul>\n\ntext\n\n<!-- c -->\n\n<h2>T</h2>") == \
        "<ul>\n<li>x</li>\n</ul>\n\n<p>text</p>\n\n<!-- c -->\n\n<h2>T</h2>"
    assert tags.convert_breaks("<b>bold</b> start") == "<p><b>bold</b> start</p>"
    assert tags.entry_text("a\nb", "__default__") == "<p>a<br />\nb</p>"
    assert tags.entry_text("a\nb", "0") == tags.entry_text("a\nb", "markdown") == "a\nb"


def test_sanitize_function():
    dirty = ('<p onclick="x">Hi <a href="javascript:alert(1)" title="t">a</a> <a href=\'http://ok/?a=1&amp;b\'>b</a>'
             '<script>alert(1)</script><!-- c --><br> 1 < 2 <img src=x></p>')
    assert tags.sanitize(dirty, "1") == (
        '<p>Hi <a>a</a> <a href="http://ok/?a=1&amp;b">b</a><br /> 1 &lt; 2 </p>')
    assert tags.sanitize(dirty, "a href title,img src") == (
        'Hi <a title="t">a</a> <a href="http://ok/?a=1&amp;b">b</a> 1 &lt; 2 <img src="x" />')
    assert tags.sanitize('<a href=" jav&#x09;ascript:x">l</a>', "1") == "<a>l</a>"


def test_encodings_and_ping_urls():
    assert tags.encode_js('a\'b"c\\d\n</script>&') == "a\\x27b\\x22c\\\\d\\n\\x3c/script\\x3e\\x26"
    assert tags.encode_url("a b/é") == "a%20b%2F%C3%A9"
    assert tags.ping_url(" https://a.example/x ") == "https://a.example/x"
    assert tags.ping_url("ftp://a.example/") == tags.ping_url("//a.example/") == ""


def test_nothing_stands_for_a_missing_record():
    nothing = tags.NOTHING
    assert str(nothing.title) == "" and str(nothing.author.name) == ""
    assert not nothing and not nothing.extended and len(nothing) == 0 and list(nothing.categories) == []
    assert nothing.ping_count == 0 and list(nothing.pings()) == []
    with pytest.raises(AttributeError):
        nothing.__html__


def test_warnings_are_per_tag_whatever_the_spelling():
    jinja, warnings = translate("<$mtcommentbody$>\n<$MTCommentBody$><$MTEntryAuthorURL$>\n<MTComments></mtcomments>",
                                "Entry")
    assert jinja == "\n\n"
    assert warnings == [
        "Entry line 1: <$MTCommentBody$> (comments) renders nothing: mtpy has no comments",
        "Entry line 2: <$MTEntryAuthorURL$> (author URL) renders nothing: mtpy's authors have no URL",
        "Entry line 3: <MTComments> (comments) renders nothing: mtpy has no comments",
    ]


def test_stand_in_views_work_too():
    """The runtime needs only the views' attributes: small stand-ins will do."""
    from types import SimpleNamespace as Thing
    entry = Thing(id=7, title="Stand-in", created_on="2026-02-03 04:05:06", timezone=0.0, permalink="/7",
                  author=Thing(name="A", email=""))
    site = Thing(blog=Thing(timezone=0.0), entries=lambda month=None: [entry],
                 archives=lambda kind: [Thing(kind="Monthly", month=(2026, 2), title="February 2026", url="/m",
                                              site=None, entries=lambda: [entry])])
    environment = tags.install(jinja2.Environment(autoescape=False))
    source = ('<MTArchiveList><$MTArchiveTitle$> <$MTArchiveCount$></MTArchiveList>|'
              '<MTCalendar month="202602"><MTCalendarIfEntries><MTEntries><$MTEntryTitle$> '
              '<$MTEntryDate format="%e %b"$></MTEntries></MTCalendarIfEntries></MTCalendar>')
    assert environment.from_string(translate(source, "T")[0]).render(
        site=site, archive=None, now="2026-02-10 00:00:00", entry=None, category=None) == \
        "February 2026 1|Stand-in  3 Feb"
