"""A weblog template cannot run code, read the configuration or change the
store (issue 20, section 2), and compiled templates are never loaded from a
file another account could have written (section 4).

An author with the "templates" permission writes the TrackBack Listing
template, which mt-tb.cgi renders for anonymous visitors. Each payload is tried
twice: saved as the editor saves it (refused with a clear message, or stored),
and written straight into the weblog's folder (as a template saved before this
version, or uploaded over FTP): rendering it then runs nothing, shows nothing
of mt.cfg or the store, and changes nothing."""

import glob
import io
import os
import pickle
import stat

import jinja2
import pytest

from conftest import Site, http, start_lighttpd
from mtpy.actions import ActionError
from mtpy.actions.templates import replace_template
from mtpy.apps.trackback import TrackbackApp
from mtpy.config import Config
from mtpy.models import Author, Blog, Category, Entry
from mtpy.publish.rebuild import Publisher
from mtpy.publish.templates import TemplateSet

SECRET = "s3cret-DB-pw"
LISTING = "TrackBack Listing"       # MT syntax (.mtml): rendered for anonymous visitors
STYLESHEET = "Stylesheet"           # Jinja2 (styles-site.css): published by a rebuild
FILES = {LISTING: "trackback-listing.mtml", STYLESHEET: "styles-site.css"}
ID_COMMAND = "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('%s').read() }}"
TO_ADMIN = "{{ site.store.update(site.store.author_as_is('Melody').copy(is_admin=True)) }}"


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path / "site", "sqlite", extra_config="DBPassword %s\n" % SECRET)
    TemplateSet(site.config, site.blog).ensure_copy()      # the weblog's own copies, as after a rebuild
    return site


def template_file(site, name):
    return os.path.join(site.config.get("DataSource"), "templates", "blog-%d" % site.blog.id, FILES[name])


def write(site, name, text):
    """The template as a file in the weblog's folder, without the editor's check."""
    with open(template_file(site, name), "w", encoding="utf-8") as handle:
        handle.write(text)


def save(site, name, text):
    """Save as mt.cgi's editor does: None when stored, else the refusal, after
    which the file is as it was."""
    path = template_file(site, name)
    before = open(path).read()
    store = site.store()
    try:
        with store.transaction():
            replace_template(store, site.config, site.blog, name, text)
    except ActionError as error:
        assert open(path).read() == before
        return error.message
    finally:
        store.close()
    return None


def popup(site, entry_id=None):
    """mt-tb.cgi's __mode=view, in-process: (status, page)."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "", "REMOTE_ADDR": "192.0.2.1",
               "QUERY_STRING": "__mode=view&entry_id=%d" % (entry_id or site.entry.id),
               "wsgi.input": io.BytesIO(b"")}
    seen = []
    body = b"".join(TrackbackApp(site.config)(environ, lambda status, headers: seen.append(status)))
    return seen[0], body.decode("utf-8")


def publish_stylesheet(site):
    """Rebuild the index pages; the stylesheet's text, or the error that stopped it."""
    store = site.store()
    try:
        Publisher(store, site.config, store.get(Blog, site.blog.id)).publish(
            Publisher(store, site.config, store.get(Blog, site.blog.id)).index_pages())
    except jinja2.TemplateError as error:
        return error
    finally:
        store.close()
    with open(os.path.join(site.archives, "styles-site.css"), encoding="utf-8") as handle:
        return handle.read()


def is_admin(site):
    store = site.store()
    try:
        return store.author_as_is("Melody").is_admin
    finally:
        store.close()


def assert_harmless(site, shown):
    shown = str(shown)
    assert "uid=" not in shown and SECRET not in shown and "ObjectDriver" not in shown, shown
    assert "root:" not in shown and "SQLite format" not in shown, shown
    assert not is_admin(site)
    assert not os.path.exists(os.path.join(site.folder, "ran"))


CODE_PAYLOADS = [
    ID_COMMAND % "touch ran; id",
    TO_ADMIN,
    "{{ site.config.values }}{{ site.config.get('DBPassword') }}{{ entry.site.config.values }}",
    "{{ site|attr('store')|attr('update') }}{{ site|attr('config') }}",
    "{{ ''|attr('__class__')|attr('__mro__') }}",
    "{{ '{0.config.values}'.format(site) }}{{ '{0.__class__}'.format(site) }}",
    "{{ '{x.store}'.format_map({'x': site}) }}{{ '%s'|format(site.config) }}",
    "{{ site.blog.copy(name='x') }}{{ archive.site.store }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ mt_entries.__globals__['__builtins__'] }}",
    "{% set s = site.all_entries %}{{ s.make }}{{ site.entries()[0]._record }}",
    "{{ site.categories().append(1) }}{{ config.update({'CGIPath': 'x'}) }}",
]


@pytest.mark.parametrize("payload", CODE_PAYLOADS)
def test_a_template_cannot_run_code_read_mt_cfg_or_change_the_store(site, payload):
    """In an MT-syntax template (the popup's) Jinja is text; in a Jinja2 one
    (the stylesheet) the sandbox refuses, on save when it can tell."""
    assert save(site, LISTING, payload) is None
    status, page = popup(site)
    assert status.startswith("200") and page == payload
    refusal = save(site, STYLESHEET, payload)
    assert refusal is None or ("nothing changed" in refusal and "private attributes" in refusal), refusal
    write(site, STYLESHEET, payload)
    assert_harmless(site, publish_stylesheet(site))


def test_what_a_template_may_show_of_the_configuration(site):
    """`config` is the public settings alone; `{{ config.values }}` of the issue
    printed mt.cfg with DBPassword."""
    assert save(site, STYLESHEET, "[{{ config.values() | list }}][{{ config.get('DBPassword') }}]"
                                  "[{{ config.CGIPath }}][{{ blog.name }}][{{ blog.site_path }}]") is None
    assert publish_stylesheet(site) == "[['%scgi-bin/', 'mt-tb.cgi', 'mt.cgi', 'utf-8']][None][%scgi-bin/]" \
                                       "[Test Weblog][]" % ((site.base,) * 2)


def test_the_issues_payloads_through_the_real_popup_url(site):
    """As reported: the TrackBack Listing template saved with the command; an
    anonymous visitor opening the popup through lighttpd gets it back as text."""
    payload = ID_COMMAND % "touch ran; id" + TO_ADMIN
    assert save(site, LISTING, payload) is None
    process = start_lighttpd(site)
    try:
        result = http(site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert result.status == 200 and result.text == payload, result.text
    assert_harmless(site, result.text)


INCLUDES = [
    (STYLESHEET, '{% include "../../cgi-bin/mt.cfg" %}'),
    (STYLESHEET, '{% include "/etc/passwd" %}'),
    (STYLESHEET, '{% include "mt.db" %}'),
    (STYLESHEET, '{% import "/etc/passwd" as x %}'),
    (STYLESHEET, '{% extends "../../../cgi-bin/mt.cfg" %}'),
    (STYLESHEET, '{% include ["/etc/passwd", "sidebar.mtml"] %}'),
    (STYLESHEET, '{% include "side" ~ "bar.mtml" %}'),
    (LISTING, '<$MTInclude file="/etc/passwd"$>'),
    (LISTING, '<$MTInclude file="../../cgi-bin/mt.cfg"$>'),
    (LISTING, '<$MTInclude module="../mt.db"$>'),
]


@pytest.mark.parametrize("name, text", INCLUDES)
def test_an_include_names_only_the_weblogs_templates(site, name, text):
    refusal = save(site, name, text)
    assert refusal is not None and "is not a template of this weblog" in refusal, refusal
    assert "Sidebar (sidebar.mtml)" in refusal and "nothing changed" in refusal
    write(site, name, text)
    assert_harmless(site, popup(site)[1] if name == LISTING else publish_stylesheet(site))


def test_a_module_of_the_set_is_still_included(site):
    assert save(site, LISTING, '[<$MTInclude module="Sidebar"$>]') is None
    assert save(site, STYLESHEET, '[{% include "sidebar.mtml" %}]') is None
    assert popup(site)[0].startswith("200")
    assert publish_stylesheet(site).startswith("[")


def test_archive_file_names_stay_in_the_archive_folder(site):
    """File names come from numbers and dirified labels: a label that climbs
    publishes inside the archive folder, and nothing is written outside it."""
    store = site.store()
    try:
        for label in ("../../../escape", "..", "/etc/cron.d/x", "..\\..\\x"):
            category = Category(blog_id=site.blog.id, label=label)
            store.save(category)
            entry = store.get(Entry, site.entry.id)
            entry.category_ids = entry.category_ids + [category.id]
            store.save(entry)
        blog = store.get(Blog, site.blog.id)
        publisher = Publisher(store, site.config, blog)
        publisher.rebuild_all()
        archives = os.path.realpath(site.archives)
        assert publisher.written
        for path in publisher.written:
            assert os.path.realpath(path).startswith(archives + os.sep), path
    finally:
        store.close()
    assert not glob.glob(os.path.join(site.folder, "..", "escape*"))


# -- compiled templates on disk (section 4) -------------------------------------------------


def code_files(site, kind):
    """The cache files of compiled templates (kind "jinja") or translations ("mtml")."""
    return [path for path in glob.glob(os.path.join(site.config.get("DataSource"), "cache", kind + "*", "*"))
            if os.path.isfile(path)]


def plant_bytecode(site, text):
    """What another account could do with a cache file it can write: replace
    the compiled code of the listing with that of `text`, same key and checksum."""
    from mtpy.publish.environment import weblog_environment
    templates = TemplateSet(site.config, site.blog)
    environment = weblog_environment(site.config, templates)
    evil = environment.compile(text, "trackback-listing.mtml", "trackback-listing.mtml")
    planted = code_files(site, "jinja")
    assert planted, "no bytecode was cached"
    for path in planted:
        with open(path, "rb") as handle:
            assert handle.read(len(jinja2.bccache.bc_magic)) == jinja2.bccache.bc_magic
            bucket = jinja2.bccache.Bucket(environment, "", pickle.load(handle))   # the source's checksum
        bucket.code = evil
        with open(path, "wb") as handle:
            bucket.write_bytecode(handle)
    return planted


@pytest.mark.parametrize("planted_by", ["anyone (0666)", "another account"])
def test_bytecode_another_account_could_write_is_not_loaded(site, planted_by):
    if planted_by == "another account" and os.geteuid() != 0:
        pytest.skip("only root can give a file to another account")
    assert popup(site)[0].startswith("200")
    for path in plant_bytecode(site, "PLANTED"):
        if planted_by == "another account":
            os.chown(path, 65534, 65534)
            os.chmod(path, 0o644)
        else:
            os.chmod(path, 0o666)       # as the shared (www-data) modes made them
    status, page = popup(site, site.add_entry(title="Second")[0].id)
    assert status.startswith("200") and "PLANTED" not in page and "Second" in page


def test_no_bytecode_is_loaded_from_a_folder_open_to_others(site):
    assert popup(site)[0].startswith("200")
    for path in plant_bytecode(site, "PLANTED"):
        os.chmod(os.path.dirname(path), 0o777)
    status, page = popup(site, site.add_entry(title="Second")[0].id)
    assert status.startswith("200") and "PLANTED" not in page and "Second" in page


def test_a_planted_translation_is_not_loaded(site):
    assert popup(site)[0].startswith("200")
    for path in code_files(site, "jinja"):
        os.unlink(path)                 # so that the translation is read again
    for path in code_files(site, "mtml"):
        with open(path, "w") as handle:
            handle.write('["PLANTED {{ 6 * 7 }}", []]')
        os.chmod(path, 0o666)
    status, page = popup(site, site.add_entry(title="Second")[0].id)
    assert status.startswith("200") and "PLANTED" not in page and "Second" in page


def test_another_release_translates_again(site, monkeypatch):
    """Translations are kept by mtpy's version too: an upgrade that translates
    a tag differently does not serve the older release's translation."""
    from mtpy.publish import environment
    assert popup(site)[0].startswith("200")
    kept = set(code_files(site, "mtml"))
    monkeypatch.setattr(environment, "__version__", "99.0")
    assert popup(site, site.add_entry(title="Second")[0].id)[0].startswith("200")
    assert set(code_files(site, "mtml")) > kept


def test_compiled_templates_are_the_users_alone_in_a_shared_data_folder(site):
    """With the data folder open to the web server's user (chmod 777, README's
    shared-hosting steps), what holds code is still 0700/0600."""
    data = site.config.get("DataSource")
    os.makedirs(os.path.join(data, "cache"), exist_ok=True)
    os.chmod(data, 0o777)
    os.chmod(os.path.join(data, "cache"), 0o777)
    assert popup(site)[0].startswith("200")
    files = code_files(site, "jinja") + code_files(site, "mtml")
    assert {os.path.basename(os.path.dirname(path)) for path in files} == {
        "jinja-%d" % os.geteuid(), "mtml-%d" % os.geteuid()}
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700, path


def test_the_sandbox_shows_mtpy_objects_only_their_template_fields():
    """Every view names its fields; none reaches the store, the configuration,
    a record or a file path."""
    from mtpy.publish import tags, views
    from mtpy.publish.environment import TemplateSandbox
    sandbox = TemplateSandbox()
    for cls in (views.SiteView, views.EntryView, views.CategoryView, views.PingView, views.AuthorView,
                views.ArchiveView, views.BlogView, views.PingPage, views.CategoryListingView, views.LazyList,
                tags.CalendarCell):
        fields = cls.TEMPLATE_FIELDS
        assert not {"store", "config", "blog", "site", "_record", "path", "archive_path",
                    "archive_folder"} & fields, cls
        assert not [name for name in fields if name.startswith("_")], cls
    blog = Blog(id=1, name="N")
    assert not sandbox.is_safe_attribute(blog, "copy", blog.copy)
    assert not sandbox.is_safe_attribute(Author(), "name", "")
    assert not sandbox.is_safe_attribute(Config(text=""), "get", None)
    assert sandbox.is_safe_attribute(views.BlogView(blog), "name", "N")
    assert not sandbox.is_safe_attribute(tags.NOTHING, "__class__", None)


def test_a_planted_popup_page_is_not_served(site):
    """The popup's kept page (cache/listings/) is HTML served to visitors on the
    weblog's origin: one that another account could have written is rendered again."""
    assert popup(site)[0].startswith("200")
    [kept] = glob.glob(os.path.join(site.config.get("DataSource"), "cache", "listings", "*.html"))
    with open(kept, "rb") as handle:
        digest = handle.readline()
    with open(kept, "wb") as handle:
        handle.write(digest + b"<script>PLANTED</script>")
    os.chmod(kept, 0o666)
    status, page = popup(site)
    assert status.startswith("200") and "PLANTED" not in page and "Hello" in page
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
