"""Shared fixtures.

Store-level tests run against every backend: SQLite, flat files and PostgreSQL
(a throwaway server started for the test run, a new database for each test).
End-to-end tests build a real installation in a temporary folder (cgi-bin/ with
the scripts' `#!` line set as the README says, lib/ and tmpl/ beside it, mt.cfg,
a store with a weblog) and drive it through a real web server: lighttpd running
the scripts as CGI, and `mtpy serve`.
"""

import functools
import glob
import importlib.util
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lib"))

from mtpy.config import Config, ConfigError  # noqa: E402
from mtpy.models import Author, Blog, Entry, Category, Job  # noqa: E402
from mtpy.store import open_store  # noqa: E402

BACKENDS = ["sqlite", "flat", "postgres"]
IN_CI = os.environ.get("CI") == "true"
# Recorded bytes from real senders (WordPress 6.1, Movable Type 5.2); see samples/README.md.
SAMPLES = os.path.join(ROOT, "tests", "data", "samples")
# Set when `make test` runs the date tests again under libfaketime (Makefile,
# FAKE_CLOCK_TESTS): what a process needs to share that clock.
FAKE_CLOCK = {name: os.environ[name] for name in ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED", "FAKETIME_DONT_RESET")
              if name in os.environ} if "FAKETIME" in os.environ else {}


def need(program):
    """A real server must be there in CI; elsewhere a missing one skips."""
    path = shutil.which(program) or (os.path.exists("/usr/sbin/" + program) and "/usr/sbin/" + program)
    if not path:
        if IN_CI:
            pytest.fail("%s is not installed (make test installs it)" % program)
        pytest.skip("%s is not installed" % program)
    return path


class PostgresServer:
    """A PostgreSQL server of our own for the test run: a new cluster in a
    temporary folder, listening on a Unix socket there only (no TCP port to find
    or to clash with the system's cluster), stopped and deleted at the end.

    PostgreSQL refuses to run as root: as root, it runs as the `postgres` system
    user (Debian's package creates it). Authentication is `trust`, so the
    scripts reach it as whichever user the web server runs them (root under
    lighttpd, www-data under Apache) by naming the role in mt.cfg.
    """

    ROLE = "mtpy"
    PORT = 5432   # only names the socket file, inside our own folder
    running = None  # the server of this test run, once started

    def __init__(self):
        self.bin = postgres_programs()
        if self.bin is None:
            self.unavailable("PostgreSQL is not installed (Debian package postgresql)")
        self.as_owner = []
        if os.geteuid() == 0:
            try:
                import pwd
                owner = pwd.getpwnam("postgres")
            except KeyError:
                self.unavailable("there is no postgres user to run PostgreSQL as (not as root)")
            self.as_owner = [need("runuser"), "-u", "postgres", "--"]
        # Not under pytest's tmp_path: its folders are private to root, and the
        # postgres user (and www-data, for the socket) must reach this one. In
        # memory where there is a RAM disk: nothing of this cluster needs a disk,
        # and each test's CREATE DATABASE writes megabytes.
        ram = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.folder = tempfile.mkdtemp(prefix="mtpy-postgres-", dir=ram)
        self.data = os.path.join(self.folder, "data")
        self.socket = os.path.join(self.folder, "socket")
        os.mkdir(self.data, 0o700)
        os.mkdir(self.socket)
        for path in (self.folder, self.socket):
            os.chmod(path, 0o755)
        if self.as_owner:
            for path in (self.folder, self.data, self.socket):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.databases = []   # created for the current test
        self.count = 0
        self.admin = None

    @staticmethod
    def unavailable(reason):
        if IN_CI:
            pytest.fail(reason + " (make test installs it)")
        pytest.skip(reason)

    def _run(self, *command):
        # Without the fake clock: the server keeps real time, and libfaketime's
        # shared semaphore, made by root, is not the postgres user's to open.
        environment = {name: value for name, value in os.environ.items() if name not in FAKE_CLOCK}
        done = subprocess.run(self.as_owner + [os.path.join(self.bin, command[0])] + list(command[1:]),
                              cwd=self.folder, capture_output=True, text=True, timeout=120, env=environment)
        if done.returncode != 0:
            raise RuntimeError("%s failed: %s%s" % (command[0], done.stdout, done.stderr))

    def start(self):
        self._run("initdb", "--pgdata", self.data, "--username", "postgres", "--auth", "trust",
                  "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            # Durability is not what is tested; speed is welcome.
            conf.write("listen_addresses = ''\nunix_socket_directories = '%s'\nport = %d\n"
                       "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
                       % (self.socket, self.PORT))
        self._run("pg_ctl", "--pgdata", self.data, "--log", os.path.join(self.folder, "server.log"),
                  "--wait", "start")
        import psycopg
        self.admin = psycopg.connect(host=self.socket, port=self.PORT, user="postgres", dbname="postgres",
                                     autocommit=True)
        self.admin.execute("CREATE ROLE %s LOGIN" % self.ROLE)
        PostgresServer.running = self

    def stop(self):
        """Stop the server (if it started) and delete its files."""
        PostgresServer.running = None
        if self.admin is not None:
            self.admin.close()
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run("pg_ctl", "--pgdata", self.data, "--mode", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def new_database(self):
        """The name of a new, empty database, owned by the role the tests use."""
        self.count += 1
        name = "mtpy_test_%d" % self.count
        self.admin.execute("CREATE DATABASE %s OWNER %s" % (name, self.ROLE))
        self.databases.append(name)
        return name

    def drop_databases(self):
        """Drop the current test's databases (FORCE: a script's forked worker may
        still be connected)."""
        while self.databases:
            self.admin.execute("DROP DATABASE %s WITH (FORCE)" % self.databases.pop())

    def directives(self, database):
        return "Database %s\nDBHost %s\nDBPort %d\nDBUser %s\n" % (database, self.socket, self.PORT, self.ROLE)

    def environment(self, database):
        """libpq's variables naming a database: used where a test's mt.cfg names none."""
        return {"PGDATABASE": database, "PGHOST": self.socket, "PGPORT": str(self.PORT), "PGUSER": self.ROLE}


def postgres_programs():
    """The folder of initdb, pg_ctl and postgres: Debian keeps them out of PATH,
    in one folder per major version (the newest wins)."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda path: int(path.split("/")[-3]) if path.split("/")[-3].isdigit() else 0)
    initdb = found[-1] if found else shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


@pytest.fixture(scope="session")
def postgres_server():
    if importlib.util.find_spec("psycopg") is None:
        PostgresServer.unavailable("psycopg is not installed (pip install -e '.[postgres]')")
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The name of a backend. For PostgreSQL the test also gets an empty database
    named by libpq's PG* variables: a mt.cfg without a Database directive (made
    by a test for a second store, or by `mtpy init`) uses it."""
    if request.param != "postgres":
        yield request.param
        return
    server = request.getfixturevalue("postgres_server")
    monkeypatch = request.getfixturevalue("monkeypatch")
    for name, value in server.environment(server.new_database()).items():
        monkeypatch.setenv(name, value)
    yield request.param
    server.drop_databases()


@pytest.fixture
def postgres_database(postgres_server):
    """mt.cfg lines naming a new, empty PostgreSQL database, for tests of that
    backend alone."""
    yield postgres_server.directives(postgres_server.new_database())
    postgres_server.drop_databases()


def new_store_directives(backend):
    """mt.cfg lines placing a new, empty store of this backend beyond its
    DataSource: for PostgreSQL, a new database of the test run's server."""
    if backend != "postgres":
        return ""
    server = PostgresServer.running
    if server is None:
        raise RuntimeError("a PostgreSQL store outside the `backend` fixture: no server started")
    return server.directives(server.new_database())


@pytest.fixture
def store_config(tmp_path, backend):
    """The directives of the `store` fixture's store: to open it again."""
    return Config(text="ObjectDriver %s\nDataSource %s\n%s" % (backend, tmp_path / "data",
                                                                new_store_directives(backend)))


@pytest.fixture
def store(store_config):
    opened = open_store(store_config, create=True)
    yield opened
    opened.close()


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


@pytest.fixture
def site(tmp_path, backend):
    return Site(tmp_path / "site", backend)


def wait_for_port(port, process, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited with %s" % process.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("server did not listen on %d" % port)


def lighttpd_config(site):
    with open(os.path.join(ROOT, "docs", "lighttpd.conf")) as handle:
        text = handle.read()
    text = text.replace('var.mtpy = "/home/you/mtpy"', 'var.mtpy = "%s"' % site.folder)
    return text.replace("var.port = 8080", "var.port = %d" % site.port)


def start_lighttpd(site):
    binary = need("lighttpd")
    path = os.path.join(site.folder, "lighttpd.conf")
    with open(path, "w") as handle:
        handle.write(lighttpd_config(site))
    process = subprocess.Popen([binary, "-D", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    return process


def start_mtpy_serve(site):
    cli = ["-m", "mtpy.cli"]
    if FAKE_CLOCK:   # it runs scripts with its own Python (sys.executable), in a clean environment
        cli = ["-c", "import sys; sys.executable = %r; from mtpy.cli import main; sys.exit(main())"
               % with_fake_clock(sys.executable, site.folder)]
    process = subprocess.Popen(
        [sys.executable] + cli + ["--config", site.config_path, "serve", "--port", str(site.port)],
        cwd=site.folder, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib")),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    return process


def start_wsgi_server(site):
    """`mtpy serve --wsgi`: the same applications in gunicorn's persistent workers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mtpy.cli", "--config", site.config_path, "serve", "--wsgi", "--workers", "2",
         "--port", str(site.port)],
        cwd=site.folder, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib")),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    return process


SERVERS = {"lighttpd": start_lighttpd, "mtpy-serve": start_mtpy_serve}
IN_PROCESS = "in-process"


def pytest_configure(config):
    config.addinivalue_line("markers", "smoke: a test of `served` that runs behind each real server "
                                       "(SERVERS) as well as in-process; smoke(servers_only=True): "
                                       "behind the real servers alone (a test of what a server does)")
    config.addinivalue_line("markers", "server: the test starts a real web server")


def pytest_generate_tests(metafunc):
    """`served` is in-process for every test; a test marked `smoke` also runs
    behind each real server (the smoke matrix: every server, backend, script)."""
    if "served" in metafunc.fixturenames:
        smoke = metafunc.definition.get_closest_marker("smoke")
        kinds = [] if smoke and smoke.kwargs.get("servers_only") else [IN_PROCESS]
        if smoke:
            kinds += [pytest.param(name, marks=pytest.mark.server) for name in sorted(SERVERS)]
        metafunc.parametrize("served", kinds, indirect=True)


@pytest.fixture
def served(request, site):
    """The site served: in this process (tests/support/inprocess.py: its
    scripts' WSGI applications, each request as a CGI process answers it, the
    work after the answer done before it returns), or behind a real web server
    (the `smoke` tests); each backend."""
    site.server = request.param
    if request.param == IN_PROCESS:
        from support.inprocess import serving
        with serving(site):
            yield site
        return
    process = SERVERS[request.param](site)
    yield site
    stop(process)


def stop(process, timeout=10):
    """End a server the test started: asked first, then killed."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def queued_jobs(site):
    """The deferred work left in the site's queue."""
    store = site.store()
    try:
        return store.find(Job)
    finally:
        store.close()


def wait_until_idle(site, collector, expected, quiet=10, bound=240):
    """Wait until every job is gone and `expected` mails arrived in the
    collector (its `messages`; None: no mail), or nothing changed for `quiet`
    seconds (a lost job never finishes), or `bound` seconds in all."""
    started = last_change = time.time()
    seen = None
    while time.time() - started < bound:
        state = (len(queued_jobs(site)), len(collector.messages) if collector else 0)
        if state == (0, expected):
            return
        if state != seen:
            seen, last_change = state, time.time()
        elif time.time() - last_change > quiet:
            return
        time.sleep(0.25)


class HTTPResult:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8")


def http(url, data=None, headers=None, method=None):
    """One request to 127.0.0.1 with a time bound; errors are results, not raises."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return HTTPResult(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return HTTPResult(error.code, error.headers, error.read())


def raw_request(port, data, timeout=30):
    """Send bytes exactly as given; return (status, headers text, body bytes)."""
    from support import inprocess
    if inprocess.serves(port):
        return inprocess.raw_request(port, data, timeout)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


ADMIN_PASSWORD = "melody-secret-1"


@functools.lru_cache(maxsize=None)
def admin_password_hash():
    """ADMIN_PASSWORD's hash, made once per test process (a hash costs what a
    login does: passwords.ITERATIONS of PBKDF2)."""
    from mtpy.passwords import hash_password
    return hash_password(ADMIN_PASSWORD)


def serve_cms(site):
    """Make the site's author Melody a system administrator with a password,
    serve mt.cgi under lighttpd and log in: (a logged-in CMSClient, the server)."""
    from cms_client import CMSClient
    store = site.store()
    site.author.password_hash = admin_password_hash()
    site.author.is_admin = True
    store.save(site.author)
    store.close()
    process = start_lighttpd(site)
    client = CMSClient(site.base)
    try:
        client.log_in(site.author.name, ADMIN_PASSWORD)
    except BaseException:
        process.terminate()
        process.wait(timeout=10)
        raise
    return client, process


@pytest.fixture
def cms(tmp_path, backend):
    """mt.cgi behind lighttpd on an installed site (serve_cms); yields (site,
    a logged-in client)."""
    site = Site(tmp_path / "site", backend)
    client, process = serve_cms(site)
    try:
        yield site, client
    finally:
        process.terminate()
        process.wait(timeout=10)


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def browser():
    """Debian's headless Chromium (never a downloaded one), driven by Playwright."""
    executable = need("chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


def wait_for(condition, seconds=30):
    """The value of `condition()` once it is true: deferred work (republishing,
    sending pings) runs after the answer, so poll for its result, bounded."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("not done in %s s" % seconds)

