"""A mtpy installation in a folder, as a weblog owner uploads it (Site), and
what tests ask of one."""

import functools
import os
import shlex
import shutil
import socket
import sys

from mtpy.config import Config, ConfigError
from mtpy.models import Activity, Author, Blog, Category, Entry, Job, Permission
from mtpy.store import open_store
from support.environment import FAKE_CLOCK, ROOT
from support.postgres import new_store_directives


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """A mtpy installation in a folder, as a weblog owner would upload it."""

    def __init__(self, folder, backend, extra_config="", python=sys.executable, copy_lib=False):
        self.folder = str(folder)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        cgi_bin = install_files(self.folder, python, copy_lib)
        self.archives = os.path.join(self.folder, "archives")
        os.makedirs(self.archives)
        self.config_path = os.path.join(cgi_bin, "mt.cfg")
        with open(self.config_path, "w") as handle:
            handle.write("CGIPath %scgi-bin/\nObjectDriver %s\n%sLogFile ../mtpy.log\n"
                         "OneHourMaxPings 0\nOneDayMaxPings 0\nOneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\n"
                         "MailTransfer debug\n%s"
                         % (self.base, backend, new_store_directives(backend), extra_config))
        self.config = Config(self.config_path)
        store = open_store(self.config, create=True)
        self.author = Author(name="Melody", email="melody@example.com")
        store.save(self.author)
        self.blog = Blog(name="Test Weblog", site_url=self.base, site_path=self.archives,
                         archive_url=self.base, archive_path=self.archives, email_new_pings=False)
        store.save(self.blog)
        self.entry = Entry(blog_id=self.blog.id, author_id=self.author.id, title="Hello <World> & Co",
                           body="<p>First entry</p>", created_on="2026-11-24 10:00:00")
        store.save(self.entry)
        self.item = store.trackback_for(entry=self.entry)
        store.close()

    def store(self):
        return open_store(Config(self.config_path))

    def update_config(self, text):
        with open(self.config_path, "a") as handle:
            handle.write(text)
        try:
            self.config = Config(self.config_path)
        except ConfigError:
            pass  # a test of a broken config: the scripts must cope, not the fixture

    def ping_url(self, item=None):
        return "%scgi-bin/mt-tb.cgi/%d" % (self.base, (item or self.item).id)

    def add_entry(self, **values):
        store = self.store()
        values.setdefault("created_on", "2026-11-24 11:00:00")
        entry = Entry(blog_id=self.blog.id, author_id=self.author.id, **values)
        store.save(entry)
        item = store.trackback_for(entry=entry)
        store.close()
        return entry, item

    def add_category(self, **values):
        store = self.store()
        category = Category(blog_id=self.blog.id, author_id=self.author.id, **values)
        store.save(category)
        item = store.trackback_for(category=category)
        store.close()
        return category, item

    def entries(self):
        """The weblog's entries as the store holds them now."""
        store = self.store()
        try:
            return store.find(Entry, blog_id=self.blog.id)
        finally:
            store.close()

    def log(self):
        path = os.path.join(self.folder, "mtpy.log")
        return open(path).read() if os.path.exists(path) else ""


def install_files(folder, python=sys.executable, copy_lib=False):
    """The scripts in `folder`/cgi-bin (returned) and lib/ and tmpl/ beside it,
    linked (or copied), as a weblog owner uploads them."""
    cgi_bin = os.path.join(folder, "cgi-bin")
    os.makedirs(cgi_bin)
    for name in os.listdir(os.path.join(ROOT, "cgi-bin")):
        if name.endswith(".cgi"):
            install_script(os.path.join(ROOT, "cgi-bin", name), os.path.join(cgi_bin, name), python)
    for part in ("lib", "tmpl"):
        if copy_lib:
            shutil.copytree(os.path.join(ROOT, part), os.path.join(folder, part),
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            os.symlink(os.path.join(ROOT, part), os.path.join(folder, part))
    return cgi_bin


def install_script(source, target, python):
    """Copy a .cgi and set its `#!` line to this Python, as the README tells users."""
    with open(source) as handle:
        lines = handle.read().split("\n")
    lines[0] = "#!" + with_fake_clock(python, os.path.dirname(target))
    with open(target, "w") as handle:
        handle.write("\n".join(lines))
    os.chmod(target, 0o755)


def with_fake_clock(python, folder):
    """`python`, or under the fake clock a wrapper in `folder` that runs it with
    that clock: web servers start CGI scripts with a clean environment."""
    if not FAKE_CLOCK:
        return python
    wrapper = os.path.join(folder, "python-with-fake-clock")
    with open(wrapper, "w") as handle:
        handle.write("#!/bin/sh\nexport %s\nexec %s \"$@\"\n" % (
            " ".join("%s=%s" % (name, shlex.quote(value)) for name, value in sorted(FAKE_CLOCK.items())),
            shlex.quote(python)))
    os.chmod(wrapper, 0o755)
    return wrapper


def queued_jobs(site):
    """The deferred work left in the site's queue."""
    store = site.store()
    try:
        return store.find(Job)
    finally:
        store.close()


ADMIN_PASSWORD = "melody-secret-1"


def admin_password_hash():
    """ADMIN_PASSWORD's hash, made once per test process for each count of
    PBKDF2 rounds (a hash costs what a login does: passwords.ITERATIONS)."""
    from mtpy import passwords
    return _admin_password_hash(passwords.ITERATIONS)


@functools.lru_cache(maxsize=None)
def _admin_password_hash(iterations):
    from mtpy.passwords import hash_password
    return hash_password(ADMIN_PASSWORD)


def pings_of(site, item=None):
    """The pings of an item (the site's entry's by default), hidden ones included."""
    store = site.store()
    try:
        return store.list_pings(tb_id=(item or site.item).id, visible_only=False)
    finally:
        store.close()


def make_admin(site):
    """Make the site's author Melody a system administrator with ADMIN_PASSWORD."""
    store = site.store()
    site.author.password_hash = admin_password_hash()
    site.author.is_admin = True
    store.save(site.author)
    store.close()


def add_author(site, name, blog_permissions):
    """An author who is not a system administrator, with ADMIN_PASSWORD and
    `blog_permissions` {blog id: [permission names]}."""
    store = site.store()
    author = Author(name=name, email="%s@example.com" % name.lower(), password_hash=admin_password_hash())
    store.insert(author)
    for blog_id, can in blog_permissions.items():
        store.insert(Permission(author_id=author.id, blog_id=blog_id, can=can))
    store.close()
    return author


def activity(site, kind):
    store = site.store()
    try:
        return store.find(Activity, kind=kind, blog_id=site.blog.id)
    finally:
        store.close()
