"""mt.cgi's Templates screen as Movable Type users knew it: making index
templates and template modules, choosing an index template's output file (in
the weblog's site folder only), deleting what was made (never the default
set); the manifest that keeps them, and `mtpy template new/output/delete`."""

import json
import os

import pytest

from support.client import follow_steps
from support.sites import ADMIN_PASSWORD, activity

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def template_folder(site):
    return os.path.join(site.config.get("DataSource"), "templates", "blog-%d" % site.blog.id)


def manifest(site):
    with open(os.path.join(template_folder(site), "templates.json"), encoding="utf-8") as handle:
        return json.load(handle)


def published(site, name):
    with open(os.path.join(site.archives, *name.split("/")), encoding="utf-8") as handle:
        return handle.read()


def new_template(client, site, kind, name, text, output=None, password=ADMIN_PASSWORD):
    page = client.get("template_new", blog_id=site.blog.id, kind=kind)
    assert page.status == 200
    fields = {"name": name, "text": text, "confirm_password": password}
    if output is not None:
        fields["output"] = output
    return client.post("template_new", fields, blog_id=site.blog.id, kind=kind)


def rebuild_indexes(client, site, name):
    """The editor's "Save and rebuild" of an index template, followed to its end."""
    page = client.get("template_edit", blog_id=site.blog.id, name=name)
    text = page.text.split('wrap="off">\n', 1)[1].split("</textarea>", 1)[0]
    import html
    first = client.post("template_edit", {"text": html.unescape(text), "save_rebuild": "1",
                                          "confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name=name)
    return follow_steps(client, first)[0]


@SQLITE
def test_a_new_module_and_index_template_are_published_by_a_rebuild(cms):
    site, client = cms
    listing = client.get("templates", blog_id=site.blog.id)
    assert ">New index template</a>" in listing.text and ">New template module</a>" in listing.text
    made = new_template(client, site, "module", "Colophon", "<p class=\"colophon\">By <$MTBlogName$></p>\n")
    assert made.status == 200 and "Edit template: Colophon" in made.text and "Created." in made.text
    page = new_template(client, site, "index", "About page",
                        '<html><body><h1>About</h1><$MTInclude module="colophon"$></body></html>\n',
                        output="about/index.html")
    assert page.status == 200 and "Edit template: About page" in page.text
    assert 'name="output" value="about/index.html"' in page.text
    listing = client.get("templates", blog_id=site.blog.id)
    assert ">About page</strong>" in listing.text and "<code>about/index.html</code>" in listing.text
    assert listing.text.count("Yours</span>") == 2
    # A template in Jinja2 (the Stylesheet: no MT tags, not .mtml) includes the module too.
    client.post("template_edit", {"text": '/* {% include mt_template_name(module="Colophon") %} */\n', "save": "1",
                                  "confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name="Stylesheet")
    done = rebuild_indexes(client, site, "About page")
    assert done.status == 200
    assert published(site, "about/index.html") == (
        '<html><body><h1>About</h1><p class="colophon">By Test Weblog</p>\n</body></html>\n')
    assert published(site, "styles-site.css") == '/* <p class="colophon">By Test Weblog</p>\n */\n'
    kept = manifest(site)
    assert [(made["name"], made["kind"], made["output"]) for made in kept["made"]] == [
        ("Colophon", "module", ""), ("About page", "index", "about/index.html")]
    assert all(made["filename"].startswith("user-") for made in kept["made"])
    assert [line.message for line in activity(site, "settings")][:2] == [
        "Created template module Colophon", "Created index template About page"]
    # A name that is taken, a text that does not compile, a wrong password: nothing made.
    for name, text, password, said in (
            ("main index", "x", ADMIN_PASSWORD, "already has a template named main index"),
            ("Broken", "<MTEntries>no end", ADMIN_PASSWORD, "Broken does not compile"),
            ("Other", "x", "wrong", "Your password was not right")):
        refused = new_template(client, site, "module", name, text, password=password)
        assert said in refused.text, refused.text[:3000]
    assert len(manifest(site)["made"]) == 2


@SQLITE
def test_output_files_stay_in_the_weblogs_folder(cms, tmp_path):
    site, client = cms
    os.symlink(str(tmp_path), os.path.join(site.archives, "out"))
    refused = {
        "../escape.html": "not allowed",
        "/etc/passwd.html": "not an absolute path",
        "out/evil.html": "leads outside the weblog",
        "index.html": "Main Index already publishes index.html",
        "STYLES-SITE.CSS": "Stylesheet already publishes",
        ".htaccess": "configure the web server",
        "run.php": "a web server may run",
        "pages/run.cgi": "a web server may run",
        "a/../b.html": "not allowed",
        "": "Give the file name",
    }
    for output, said in refused.items():
        page = new_template(client, site, "index", "Page %d" % len(output), "x\n", output=output)
        assert said in page.text and 'id="output-error"' in page.text, output
    assert not os.path.exists(os.path.join(template_folder(site), "templates.json"))
    # The data folder and cgi-bin/ inside the site folder are refused as well.
    inner = site.blog.copy(site_path=site.folder)
    from mtpy.publish.templates import output_problem
    assert "mtpy's data folder" in output_problem(site.config, inner, "data/x.html")
    assert "scripts" in output_problem(site.config, inner, "cgi-bin/x.html")
    # The Main Index moves to another file: published there, the manifest says so.
    page = client.get("template_edit", blog_id=site.blog.id, name="Main Index")
    assert 'name="output" value="index.html"' in page.text
    bad = client.post("template_edit", {"text": "<p>new</p>\n", "output": "../x.html", "save": "1",
                                        "confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name="Main Index")
    assert 'id="output-error"' in bad.text
    copy = os.path.join(template_folder(site), "main-index.mtml")
    assert not os.path.exists(copy) or "<p>new</p>" not in open(copy).read()     # the text is not saved either
    client.post("template_edit", {"text": "<p>home <$MTBlogName$></p>\n", "output": "home.html", "save": "1",
                                  "confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name="Main Index")
    assert manifest(site)["outputs"] == {"Main Index": "home.html"}
    rebuild_indexes(client, site, "Main Index")
    assert published(site, "home.html") == "<p>home Test Weblog</p>\n"
    # A symbolic link made after the name was chosen: the rebuild writes nothing through it.
    os.rename(os.path.join(site.archives, "out"), os.path.join(site.archives, "gone"))
    os.symlink(str(tmp_path), os.path.join(site.archives, "pages"))
    kept = manifest(site)
    kept["outputs"]["RSS 2.0 Index"] = "pages/index.xml"
    with open(os.path.join(template_folder(site), "templates.json"), "w") as handle:
        json.dump(kept, handle)
    rebuild_indexes(client, site, "Main Index")
    assert not os.path.exists(os.path.join(str(tmp_path), "index.xml"))


@SQLITE
def test_only_templates_one_made_can_be_deleted(cms):
    site, client = cms
    new_template(client, site, "module", "Footer", "<footer>f</footer>\n")
    new_template(client, site, "index", "Extra", '<$MTInclude module="Footer"$>\n', output="extra.html")
    filename = [made["filename"] for made in manifest(site)["made"] if made["name"] == "Footer"][0]
    # Still included by Extra: refused, with a link to it.
    page = client.get("template_delete", blog_id=site.blog.id, name="Footer")
    assert "is included by" in page.text and ">Extra</a>" in page.text
    refused = client.post("template_delete", {"confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name="Footer")
    assert "still included by Extra" in refused.text
    # The default set: no delete link, and a POST is refused.
    assert "Delete this template" not in client.get("template_edit", blog_id=site.blog.id, name="Sidebar").text
    refused = client.post("template_delete", {"confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name="Sidebar")
    assert "cannot be deleted" in refused.text
    assert os.path.exists(os.path.join(template_folder(site), "sidebar.mtml"))
    # Without the password nothing goes.
    wrong = client.post("template_delete", {"confirm_password": "no"}, blog_id=site.blog.id, name="Extra")
    assert "Your password was not right" in wrong.text
    assert "Delete this template" in client.get("template_edit", blog_id=site.blog.id, name="Extra").text
    done = client.post("template_delete", {"confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name="Extra")
    assert done.status == 200 and "Deleted." in done.text and ">Extra</strong>" not in done.text
    done = client.post("template_delete", {"confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id, name="Footer")
    assert "Deleted." in done.text and manifest(site)["made"] == []
    assert not os.path.exists(os.path.join(template_folder(site), filename))
    assert client.get("template_edit", blog_id=site.blog.id, name="Footer").status == 404


@SQLITE
def test_the_mtpy_command_makes_points_and_deletes_templates(site, tmp_path):
    from support.cli import mtpy
    text = tmp_path / "about.mtml"
    text.write_text("<p>About <$MTBlogName$></p>\n")
    made = mtpy(site, "template", "new", "--blog", site.blog.id, "--name", "About", "--kind", "index",
                "--output", "about.html", str(text))
    assert made.stdout.startswith("Created About (") and "user-1.mtml" in made.stdout
    listed = mtpy(site, "template", "list", "--blog", site.blog.id).stdout
    assert "About\tindex\tabout.html\t" in listed
    refused = mtpy(site, "template", "output", "--blog", site.blog.id, "--name", "About", "../up.html", check=False)
    assert refused.returncode != 0 and "not allowed" in refused.stderr
    assert "Main Index publishes home.html" in mtpy(site, "template", "output", "--blog", site.blog.id,
                                                     "--name", "Main Index", "home.html").stdout
    mtpy(site, "rebuild", "--blog", site.blog.id)
    assert published(site, "about.html") == "<p>About Test Weblog</p>\n" and "Test Weblog" in published(site, "home.html")
    kept = mtpy(site, "template", "delete", "--blog", site.blog.id, "--name", "Sidebar", check=False)
    assert kept.returncode != 0 and "default templates" in kept.stderr
    assert mtpy(site, "template", "delete", "--blog", site.blog.id, "--name", "About").stdout == "Deleted About\n"
    assert "About\t" not in mtpy(site, "template", "list", "--blog", site.blog.id).stdout


@SQLITE
def test_a_backup_carries_the_made_templates(site, tmp_path):
    from support.cli import mtpy
    mtpy(site, "template", "new", "--blog", site.blog.id, "--name", "Footer", "--kind", "module")
    backup = tmp_path / "backup.zip"
    mtpy(site, "backup", str(backup))
    mtpy(site, "template", "delete", "--blog", site.blog.id, "--name", "Footer")
    mtpy(site, "restore", "--yes", str(backup))
    assert "Footer\tmodule\t" in mtpy(site, "template", "list", "--blog", site.blog.id).stdout


def test_a_hand_edited_manifest_names_no_file_outside_the_set(tmp_path):
    from mtpy.publish.templates import read_manifest
    (tmp_path / "user-1.mtml").write_text("x")
    (tmp_path / "templates.json").write_text(json.dumps({"made": [
        {"name": "Fine", "kind": "index", "filename": "user-1.mtml", "output": "fine.html"},
        {"name": "Config", "kind": "module", "filename": "../../mt.cfg"},
        {"name": "Script", "kind": "index", "filename": "user-\u00b2.mtml"},
        {"name": "Popup", "kind": "popup", "filename": "user-3.mtml"},
        "not a template"], "outputs": {"Main Index": 7}}))
    kept = read_manifest(str(tmp_path))
    assert [made["name"] for made in kept["made"]] == ["Fine"] and kept["outputs"] == {}
    (tmp_path / "templates.json").write_text("{broken")
    assert read_manifest(str(tmp_path)) == {"made": [], "outputs": {}}
