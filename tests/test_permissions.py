"""Owners and permissions (mtpy.fileutil): what mtpy creates (the store and
SQLite's -wal and -shm, the flat store's files and lock, caches, published pages
and feeds, folders) gets modes that let the other user of the installation keep
working: 0644/0755 where the scripts run as the owner (suexec), 0666/0777 where
they run as the web server's user (`auto`), or the config's DBUmask, HTMLUmask
and DirUmask. Run for real as two users: the owner and www-data."""

import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT
from mtpy import fileutil
from mtpy.config import Config
from mtpy.store import open_store
from support.release import release_mtpy

WEB_USER = 33           # www-data
OWNER = 4321            # the account the owner uploads with (no passwd entry needed)


@pytest.fixture(autouse=True)
def process_settings():
    """This process's modes and umask, as they were after each test."""
    saved, umask = dict(fileutil._settings), os.umask(0o022)
    yield
    os.umask(umask)
    fileutil._settings.update(saved)


def installation(folder, text=""):
    """cgi-bin/mt.cfg in `folder` (the installation's owner: this process),
    its Config in use for the modes."""
    os.makedirs(os.path.join(folder, "cgi-bin"))
    path = os.path.join(folder, "cgi-bin", "mt.cfg")
    with open(path, "w") as handle:
        handle.write(text)
    config = Config(path)
    fileutil.use_config(config)
    return config


def mode(path):
    return os.stat(path).st_mode & 0o777


def test_owner_model_gives_0644_and_0755_whatever_the_process_umask(tmp_path):
    config = installation(str(tmp_path), "ObjectDriver sqlite\n")
    os.umask(0o077)     # a CGI environment's umask must not decide
    store = open_store(config, create=True)
    try:
        data = config.get("DataSource")
        assert mode(data) == 0o700          # others never read the store
        assert mode(os.path.join(data, "mtpy.db")) == 0o644
        for name in ("mtpy.db-wal", "mtpy.db-shm", "mtpy.db-writers"):
            assert mode(os.path.join(data, name)) == 0o644, name
        with open(os.path.join(data, ".htaccess")) as handle:
            assert "Require all denied" in handle.read()
    finally:
        store.close()
    page = str(tmp_path / "archives" / "2026" / "12" / "index.html")
    fileutil.write_atomic(page, "<p>x</p>")
    assert mode(page) == 0o644
    assert mode(str(tmp_path / "archives" / "2026")) == 0o755
    assert fileutil.runs_as_owner() and not fileutil.shared(str(tmp_path / "archives"))


def test_a_folder_opened_to_others_gets_shared_modes_flat_store_and_its_lock_too(tmp_path):
    config = installation(str(tmp_path), "ObjectDriver flat\n")
    data = config.get("DataSource")
    os.mkdir(data)
    os.chmod(data, 0o777)               # as the README tells the owner
    store = open_store(config, create=True)
    from mtpy.models import Blog
    store.save(Blog(name="W", site_url="http://x/", site_path=str(tmp_path), archive_url="http://x/",
                    archive_path=str(tmp_path)))
    store.close()
    assert mode(data) == 0o777
    for name in ("mtpy-store.txt", ".lock", ".htaccess", "blog/000001.txt"):
        assert mode(os.path.join(data, name)) == 0o666, name
    assert mode(os.path.join(data, "blog")) == 0o777
    archives = str(tmp_path / "archives")
    os.mkdir(archives)
    os.chmod(archives, 0o777)
    fileutil.write_atomic(os.path.join(archives, "cat", "index.html"), "x")
    assert mode(os.path.join(archives, "cat")) == 0o777
    assert mode(os.path.join(archives, "cat", "index.html")) == 0o666
    fileutil.keep(os.path.join(data, "cache", "kept.bin"), [1])
    assert mode(os.path.join(data, "cache", "kept.bin")) == 0o666
    assert fileutil.shared(data) and fileutil.shared(os.path.join(archives, "cat"))
    assert not fileutil.shared(str(tmp_path))


def test_scripts_running_as_another_user_than_cgi_bins_owner_share_what_they_make(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give cgi-bin/ to another user")
    config = installation(str(tmp_path), "ObjectDriver sqlite\n")
    os.chown(os.path.join(str(tmp_path), "cgi-bin"), OWNER, OWNER)
    store = open_store(config, create=True)
    try:
        data = config.get("DataSource")
        assert mode(data) == 0o777
        for name in ("mtpy.db", "mtpy.db-wal", "mtpy.db-shm", "mtpy.db-writers", ".htaccess"):
            assert mode(os.path.join(data, name)) == 0o666, name
    finally:
        store.close()
    page = str(tmp_path / "archives" / "1.xml")
    fileutil.write_atomic(page, "<rss/>")
    assert mode(page) == 0o666 and mode(str(tmp_path / "archives")) == 0o777
    assert not fileutil.runs_as_owner() and fileutil.shared(str(tmp_path))


def test_explicit_umasks_win_over_auto(tmp_path):
    config = installation(str(tmp_path), "ObjectDriver sqlite\nDBUmask 0077\nHTMLUmask 0002\nDirUmask 0027\n")
    data = config.get("DataSource")
    os.mkdir(data)
    os.chmod(data, 0o777)               # auto would share: the directives say otherwise
    open_store(config, create=True).close()
    assert mode(os.path.join(data, "mtpy.db")) == 0o600
    page = str(tmp_path / "data" / "site" / "index.html")
    fileutil.write_atomic(page, "x")
    assert mode(page) == 0o664 and mode(os.path.dirname(page)) == 0o750


def test_a_group_shared_dirumask_keeps_the_data_folder_open_to_the_group(tmp_path):
    config = installation(str(tmp_path), "ObjectDriver sqlite\nDirUmask 0002\nDBUmask 0002\n")
    open_store(config, create=True).close()
    assert mode(config.get("DataSource")) == 0o775
    assert mode(os.path.join(config.get("DataSource"), "mtpy.db")) == 0o664


# -- two users for real ---------------------------------------------------------

def as_user(uid):
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]


def mtpy(uid, tree, *commands):
    """The uploaded tree's `mtpy` run by `uid`: each of `commands` in turn."""
    result = release_mtpy(tree, list(commands), as_user(uid))
    assert result.returncode == 0, (commands, result.stderr.decode(errors="replace"))
    assert b"ermission" not in result.stderr
    return result.stdout.decode()


def ping(uid, tree, title):
    """mt-tb.cgi run as the web server runs it."""
    body = ("url=http://other.example/%s&title=%s" % (title.replace(" ", "-"), title.replace(" ", "+"))).encode()
    result = subprocess.run(as_user(uid) + [os.path.join(tree, "cgi-bin", "mt-tb.cgi")], cwd=tree, env={
        "PATH": "/usr/bin:/bin", "REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)), "PATH_INFO": "/1", "SCRIPT_NAME": "/cgi-bin/mt-tb.cgi",
        "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1"}, input=body, capture_output=True, timeout=60)
    assert b"<error>0</error>" in result.stdout, result.stdout + result.stderr
    # The republish after the answer keeps stderr open: its errors are here too.
    assert b"ermission" not in result.stderr, result.stderr
    with open(os.path.join(tree, "archives", "1.xml")) as feed:
        assert title in feed.read()


@pytest.fixture
def uploaded(release_tree):   # noqa: F811
    """A copy of the release in a folder www-data can reach."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run as two users")
    folder = tempfile.mkdtemp(prefix="mtpy-users-")
    os.chmod(folder, 0o755)
    tree = os.path.join(folder, "mtpy")
    shutil.copytree(release_tree, tree, symlinks=True)
    try:
        yield tree
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("backend, first", [("sqlite", OWNER), ("flat", WEB_USER)], ids=["sqlite-owner-first",
                                                                                          "flat-www-data-first"])
def test_two_users_take_turns_without_a_permission_error(uploaded, backend, first):
    tree = uploaded
    with open(os.path.join(tree, "cgi-bin", "mt.cfg"), "w") as handle:
        handle.write("CGIPath http://127.0.0.1/cgi-bin/\nObjectDriver %s\nRepublishDelay 0\nMailTransfer debug\n"
                     "OneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\n" % backend)
    subprocess.run(["chown", "-R", "%d:%d" % (OWNER, OWNER), tree], check=True)
    for folder in ("data", "archives"):
        os.makedirs(os.path.join(tree, folder), exist_ok=True)
        os.chown(os.path.join(tree, folder), OWNER, OWNER)
        os.chmod(os.path.join(tree, folder), 0o777)
    other = WEB_USER if first == OWNER else OWNER
    archives = os.path.join(tree, "archives")
    rebuild = ["rebuild", "--blog", "1"]
    mtpy(first, tree, ["init", "--admin", "Melody", "--email", "melody@example.com"],
         ["blog", "create", "--name", "W", "--site-url", "http://127.0.0.1/", "--site-path", archives,
          "--archive-url", "http://127.0.0.1/", "--archive-path", archives],
         ["import", "--blog", "1", os.path.join(ROOT, "tests", "data", "mt-export-sample.txt")], rebuild)
    ping(other, tree, "From the other")
    mtpy(other, tree, rebuild)
    ping(first, tree, "Back to the first")
    listed = mtpy(first, tree, rebuild, ["ping", "list", "--blog", "1"])
    assert "From the other" in listed and "Back to the first" in listed
    owners = {os.stat(os.path.join(top, name)).st_uid for top, _, names in os.walk(os.path.join(tree, "data"))
              for name in names}
    assert owners == {OWNER, WEB_USER}      # both wrote there: the test tested something
