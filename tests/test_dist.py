"""`make dist`: the release tree (tools/dist.py), its archives and the sample
config: what a shared host's owner uploads must run on the host's own Python
with nothing installed, come out the same from the same sources, and never
carry a mt.cfg that would overwrite the owner's."""

import glob
import os
import re
import shutil
import subprocess
import tarfile
import zipfile

import pytest

from mtpy.config import DIRECTIVES, Config
from support.environment import ROOT
from support.release import EPOCH, HOST_PYTHON, dist

# extlib/ must serve every Python mtpy supports: the oldest and newest pyenv has too.
PYENV_VERSIONS = os.path.join(os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"), "versions")
OLDEST_AND_NEWEST = [sorted(glob.glob(os.path.join(PYENV_VERSIONS, version + ".*", "bin", "python3")))[-1:]
                     for version in ("3.9", "3.13")]
EXTLIB_PACKAGES = ["bs4", "certifi", "charset_normalizer", "filelock", "html5lib", "idna", "jinja2", "markupsafe",
                   "mf2py", "requests", "soupsieve", "urllib3", "webencodings"]


def files_under(top):
    for folder, folders, files in os.walk(top):
        for name in folders + files:
            yield os.path.relpath(os.path.join(folder, name), top)


def test_the_tree_holds_what_a_host_needs_and_nothing_else(release):
    tree = release.tree
    assert os.path.basename(tree) == "mtpy-" + dist.version()
    optional = [name for name in dist.ROOT_SCRIPTS if os.path.exists(os.path.join(ROOT, name))]
    assert sorted(os.listdir(tree)) == sorted([".htaccess", "CHANGELOG.md", "README.md", "SECURITY.md", "archives",
                                               "cgi-bin", "docs", "extlib", "lib", "tmpl"] + optional)
    assert os.listdir(os.path.join(tree, "archives")) == [".htaccess"]
    scripts = sorted(name for name in os.listdir(os.path.join(tree, "cgi-bin")) if name.endswith((".cgi", ".fcgi")))
    assert scripts == sorted(name for name in os.listdir(os.path.join(ROOT, "cgi-bin"))
                             if name.endswith((".cgi", ".fcgi")))
    assert {"mt-check.cgi", "mt-tb.cgi", "mt.cgi"} <= set(scripts)
    for name in scripts:
        path = os.path.join(tree, "cgi-bin", name)
        assert os.stat(path).st_mode & 0o777 == 0o755, name
        with open(path, "rb") as handle:
            assert handle.readline() == b"#!/usr/bin/env python3\n", name
    everything = list(files_under(tree))
    assert not [path for path in everything if os.path.basename(path) == "mt.cfg"]
    assert not [path for path in everything if re.search(r"__pycache__|\.(pyc|so|pyd|c)$|\.egg-info", path)]
    assert os.path.isfile(os.path.join(tree, "cgi-bin", "mt.cfg-original"))
    assert os.path.isfile(os.path.join(tree, "lib", "mtpy", "templates", "weblog", "entry-archive.mtml"))
    for package in (("check",), ("hosting",), ("hosting", "devserver"), ("publish", "mtml")):     # packages a release must hold
        assert os.path.isfile(os.path.join(tree, "lib", "mtpy", *package, "__init__.py")), package
    packages = sorted(name for name in os.listdir(os.path.join(tree, "extlib")) if "." not in name)
    assert packages == EXTLIB_PACKAGES
    shipped_configs = sorted(name for name in os.listdir(os.path.join(ROOT, "docs"))
                             if name.endswith(".conf") or "htaccess" in name)
    assert "lighttpd.conf" in shipped_configs
    docs = os.listdir(os.path.join(tree, "docs"))
    assert set(shipped_configs) <= set(docs) and "servers.md" in docs
    assert os.listdir(os.path.join(tree, "docs", "screenshots")) and not os.path.exists(os.path.join(tree, "conf"))
    # Where the whole tree sits inside a web root, only .htaccess files guard it.
    for folder in ("cgi-bin", "lib", "tmpl"):
        source = os.path.join(ROOT, folder, ".htaccess")
        assert os.path.exists(os.path.join(tree, folder, ".htaccess")) == os.path.exists(source), folder
    for folder in ("extlib", "docs"):
        guarded = os.path.join(tree, folder, ".htaccess")
        assert os.path.exists(guarded) == os.path.exists(os.path.join(ROOT, "lib", ".htaccess")), folder


@pytest.mark.parametrize("python", [HOST_PYTHON] + [found[0] for found in OLDEST_AND_NEWEST if found])
def test_the_hosts_own_python_runs_it_from_lib_and_extlib_alone(release, python):
    """Debian's python3 (and Python 3.9 and 3.13), isolated from any
    site-packages: every dependency comes from extlib/, in pure Python
    (markupsafe and charset_normalizer without their compiled speedups)."""
    if not os.path.exists(python):
        pytest.skip("no %s" % python)
    probe = """
import os, sys
sys.path[0:0] = [os.path.join(sys.argv[1], "lib"), os.path.join(sys.argv[1], "extlib")]
import jinja2, markupsafe, requests, urllib3, idna, charset_normalizer, certifi, filelock, mf2py, bs4
import mtpy.apps.cms, mtpy.apps.check, mtpy.apps.trackback
from charset_normalizer import md
from mtpy.sources import read_source
for module in (jinja2, markupsafe, requests, urllib3, idna, charset_normalizer, certifi, filelock, md, mtpy,
               mf2py, bs4):
    print(module.__file__)
print(markupsafe._escape_inner.__module__)
print(jinja2.Environment(autoescape=True).from_string("{{ x }}").render(x="<&>"))
print(charset_normalizer.from_bytes("d\\u00e9j\\u00e0 vu, \\u00e7a va tr\\u00e8s bien".encode("utf-8")).best().encoding)
print(read_source('<p class="h-entry"><a class="u-like-of" href="http://a.example/1">x</a></p>',
                  "http://b.example/", ["http://a.example/1"]).kind)
"""
    done = subprocess.run([python, "-I", "-B", "-c", probe, release.tree], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    *files, native, rendered, encoding, kind = done.stdout.splitlines()
    assert len(files) == 12
    for path in files:
        assert path.startswith(release.tree + os.sep) and path.endswith(".py"), path
    assert native == "markupsafe._native"
    assert rendered == "&lt;&amp;&gt;"
    assert encoding == "utf_8"
    assert kind == "like"           # mf2py, with bs4 and its dependencies, from extlib/


def test_mt_check_cgi_runs_as_shipped_on_the_hosts_python(release):
    """The `#!/usr/bin/env python3` line as shipped, PATH as a web server sets it
    (and no __pycache__ written into the session's tree)."""
    if not os.path.exists(HOST_PYTHON):
        pytest.skip("no %s" % HOST_PYTHON)
    script = os.path.join(release.tree, "cgi-bin", "mt-check.cgi")
    environment = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1",
                   "GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET",
                   "SCRIPT_NAME": "/cgi-bin/mt-check.cgi", "SCRIPT_FILENAME": script, "QUERY_STRING": "",
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1"}
    done = subprocess.run([script], capture_output=True, env=environment, cwd=os.path.dirname(script), timeout=60)
    page = done.stdout.decode("utf-8")
    assert done.returncode == 0 and page.startswith("Status: 200"), done.stderr
    assert "<code>%s</code>" % HOST_PYTHON in page
    assert "Your server has jinja2 installed" in page and "Your server has requests installed" in page


def test_the_archives_hold_the_tree_with_fixed_owners_modes_and_times(release):
    with zipfile.ZipFile(release.zip) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names, key=lambda name: name.rstrip("/").split("/"))
    top = os.path.basename(release.tree) + "/"
    assert names[0] == top and all(name.startswith(top) for name in names)
    assert top + "archives/" in names and top + "cgi-bin/mt.cfg-original" in names
    assert not [name for name in names if name.endswith("/mt.cfg")]
    on_disk = {top + path.replace(os.sep, "/") + ("/" if os.path.isdir(os.path.join(release.tree, path)) else "")
               for path in files_under(release.tree)}
    assert set(names) == on_disk | {top}
    for info in infos:
        mode = info.external_attr >> 16
        expected = 0o40755 if info.is_dir() else (0o100755 if info.filename.endswith((".cgi", ".fcgi"))
                                                  else 0o100644)
        assert mode == expected, info.filename
        assert info.date_time == (2026, 1, 1, 0, 0, 0)
    with tarfile.open(release.tar) as archive:
        members = archive.getmembers()
    assert [member.name + ("/" if member.isdir() else "") for member in members] == names
    for member in members:
        assert (member.uid, member.gid, member.uname, member.gname) == (0, 0, "root", "root")
        assert member.mtime == EPOCH
        executable = member.isdir() or member.name.endswith((".cgi", ".fcgi"))
        assert member.mode == (0o755 if executable else 0o644), member.name
    with open(release.tar, "rb") as handle:
        header = handle.read(10)
    assert header[4:8] == b"\0\0\0\0"            # gzip: no timestamp
    assert header[3] & 0x08 == 0                 # and no file name


def test_two_builds_give_the_same_bytes(release, tmp_path, monkeypatch):
    """A second build from the same sources (the session's first came earlier), by
    a builder with another umask."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    previous = os.umask(0o077)
    try:
        again = dist.build_archives(str(tmp_path / "again"))
    finally:
        os.umask(previous)
    for first, second in zip((release.zip, release.tar), again):
        assert os.path.basename(first) == os.path.basename(second)
        with open(first, "rb") as one, open(second, "rb") as other:
            assert one.read() == other.read(), first


def test_the_release_time_comes_from_the_environment_git_or_the_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    assert dist.source_date_epoch() == 1234567890
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    if os.path.isdir(os.path.join(ROOT, ".git")) and shutil.which("git"):
        committed = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%ct"], capture_output=True,
                                   text=True).stdout.strip()
        if committed:
            assert dist.source_date_epoch() == int(committed)
    # An unpacked source tree (no .git): its newest file's time.
    for index, name in enumerate(("cgi-bin/mt.cgi", "lib/mtpy/__init__.py", "tmpl/README.md", "README.md")):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        os.utime(str(path), (1500000000 + index, 1500000000 + index))
    monkeypatch.setattr(dist, "ROOT", str(tmp_path))
    assert dist.source_date_epoch() == 1500000003


def sample_directive_lines():
    """The sample's commented-out directives ("# Name value"); prose lines start "##"."""
    with open(os.path.join(ROOT, "cgi-bin", "mt.cfg-original"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    return [line for line in lines if line.startswith("# ")]


def test_the_sample_config_lists_every_directive_with_its_default(tmp_path):
    lines = sample_directive_lines()
    named = [line[2:].split(" ", 1)[0] for line in lines]
    assert sorted(named) == sorted(DIRECTIVES), "each directive once, and nothing else"
    # Each line, set as it stands in a mt.cfg in cgi-bin/, gives the default;
    # a directive shown without a value is one whose default is "not set".
    cgi_bin = tmp_path / "cgi-bin"
    cgi_bin.mkdir()
    defaults = Config(str(cgi_bin / "mt.cfg"), text="")
    for line in lines:
        name, _, value = line[2:].partition(" ")
        if not value:
            assert DIRECTIVES[name][1] in (None, [], ""), "%s: say its default" % name
            continue
        (cgi_bin / "mt.cfg").write_text(line[2:] + "\n")
        config = Config(str(cgi_bin / "mt.cfg"))
        assert config.warnings == []
        assert config.get(name) == defaults.get(name), line


def test_the_sample_copied_to_mt_cfg_parses_without_warnings(tmp_path):
    cgi_bin = tmp_path / "cgi-bin"
    cgi_bin.mkdir()
    shutil.copyfile(os.path.join(ROOT, "cgi-bin", "mt.cfg-original"), str(cgi_bin / "mt.cfg"))
    config = Config(str(cgi_bin / "mt.cfg"))
    assert config.warnings == [] and config.values == {}
    assert config.get("DataSource") == str(tmp_path / "data")


def test_unpacking_a_release_over_an_installation_keeps_its_mt_cfg(release, tmp_path):
    installed = tmp_path / "public_html"
    with zipfile.ZipFile(release.zip) as archive:
        archive.extractall(str(installed))
    config = installed / os.path.basename(release.tree) / "cgi-bin" / "mt.cfg"
    edited = b"CGIPath http://www.example.com/cgi-bin/\r\n# mine\nEmailAddressMain me@example.com\n"
    config.write_bytes(edited)
    script = config.parent / "mt.cgi"
    script.write_text("#!/home/me/venv/bin/python3\nold release\n")
    with tarfile.open(release.tar) as archive:      # the upgrade, unpacked over it
        archive.extractall(str(installed))
    assert config.read_bytes() == edited
    assert script.read_bytes().startswith(b"#!/usr/bin/env python3\n")    # the release's files are new
