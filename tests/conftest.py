"""Shared fixtures; what they are made of is in tests/support/.

Store-level tests run against every backend: SQLite, flat files and PostgreSQL
(a throwaway server started for the test run, a new database for each test).
End-to-end tests build a real installation in a temporary folder (cgi-bin/ with
the scripts' `#!` line set as the README says, lib/ and tmpl/ beside it, mt.cfg,
a store with a weblog) and drive it in this process (support.wsgi: mt.cgi's
screens, the `cms` fixture) or through a real web server: lighttpd running the
scripts as CGI, and `mtpy serve` (`served`).

Markers are set here from what a test uses (pytest_collection_modifyitems), so
that `make test-fast` (-m "not server and not browser and not postgres") leaves
out what needs a web server, Chromium or PostgreSQL.
"""

import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
import tempfile
import types

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))   # tests/support, wherever pytest starts
import support  # noqa: E402,F401  (puts this checkout's lib/ first)

from mtpy.config import Config  # noqa: E402
from mtpy.store import open_store  # noqa: E402
# Re-exported while test modules still import them from conftest (support.* is their home).
from support.check import Recorder  # noqa: E402
from support.client import CMSClient, logged_in_admin  # noqa: E402,F401
from support.environment import FAKE_CLOCK, IN_CI, ROOT, SAMPLES, need, unavailable  # noqa: E402,F401
from support.http import HTTPResult, error_doc, http, post, raw_request, SUCCESS  # noqa: E402,F401
from support.mail import Collector  # noqa: E402
from support.postgres import PostgresServer, new_store_directives, postgres_programs  # noqa: E402,F401
from support.release import HOST_PYTHON, Release, dist  # noqa: E402
from support.servers import (NO_SERVERS, lighttpd_config, start_apache, start_lighttpd, start_mtpy_serve, start_wsgi_server,  # noqa: E402,F401
                             stop, wait_for_port)
from support.sites import (ADMIN_PASSWORD, Site, admin_password_hash, free_port, install_files,  # noqa: E402,F401
                           install_script, make_admin, queued_jobs, with_fake_clock)
from support.waiting import wait_for, wait_until_idle  # noqa: E402,F401
from support.wsgi import serving  # noqa: E402

BACKENDS = ["sqlite", "flat", "postgres"]


@pytest.fixture(scope="session")
def postgres_server():
    if importlib.util.find_spec("psycopg") is None:
        unavailable("psycopg is not installed (pip install -e '.[postgres]')")
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


@pytest.fixture
def site(tmp_path, backend):
    return Site(tmp_path / "site", backend)


SERVERS = {"lighttpd": start_lighttpd, "mtpy-serve": start_mtpy_serve}
IN_PROCESS = "in-process"


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
    """The site served: in this process (support.wsgi.serving: its scripts'
    WSGI applications, each request as a CGI process answers it, the work after
    the answer done before it returns), or behind a real web server (the
    `smoke` tests); each backend."""
    site.server = request.param
    if request.param == IN_PROCESS:
        with serving(site):
            yield site
        return
    process = SERVERS[request.param](site)
    yield site
    stop(process)



QUICK_PASSWORD_ROUNDS = 1000


@pytest.fixture(autouse=True)
def quick_password_hashing(request, monkeypatch):
    """Tests answered in this process hash passwords with 1,000 rounds of
    PBKDF2 instead of 600,000: a hash takes 0.23 s of CPU, most of what a
    logged-in mt.cgi test costs. Real servers' processes keep mtpy's counts,
    so every `server` test logs in as an owner does, and test_logins.py
    (`real_password_hashing`) tests the counts themselves."""
    if any(request.node.get_closest_marker(name) for name in ("server", "browser", "real_password_hashing")):
        return
    from mtpy import passwords
    monkeypatch.setattr(passwords, "ITERATIONS", QUICK_PASSWORD_ROUNDS)
    monkeypatch.setattr(passwords, "MIN_ITERATIONS", QUICK_PASSWORD_ROUNDS)


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


def serve_cms(site):
    """Make the site's author Melody a system administrator with a password,
    serve mt.cgi under lighttpd and log in: (a logged-in CMSClient, the server)."""
    process = start_lighttpd(site)
    try:
        client = logged_in_admin(site)
    except BaseException:
        stop(process)
        raise
    return client, process


@pytest.fixture
def cms(request, tmp_path, backend):
    """mt.cgi of an installed site answered in this process (support.wsgi: the
    whole site, its pings and pages too, at site.base); yields (site, Melody
    logged in as a system administrator). A test that drives Chromium gets
    cms_lighttpd's instead: a browser reaches pages through a real server."""
    if "browser" in request.fixturenames:
        yield request.getfixturevalue("cms_lighttpd")
        return
    site = Site(tmp_path / "site", backend)
    with serving(site):
        yield site, logged_in_admin(site)


@pytest.fixture
def cms_lighttpd(tmp_path, backend):
    """The `cms` fixture's (site, logged-in client), mt.cgi behind lighttpd."""
    site = Site(tmp_path / "site", backend)
    client, process = serve_cms(site)
    try:
        yield site, client
    finally:
        stop(process)


@pytest.fixture
def apache_site():
    """An installation www-data can read (not under /root or pytest's 0700 tmp),
    with the system Python in the `#!` line: the ping path needs only the standard
    library with SQLite."""
    if os.geteuid() != 0:
        pytest.skip("Apache is started as root here, its CGIs run as www-data")
    folder = tempfile.mkdtemp(prefix="mtpy-apache-")
    os.chmod(folder, 0o755)
    site = Site(os.path.join(folder, "site"), "sqlite", python="/usr/bin/python3", copy_lib=True)
    process = start_apache(site)
    try:
        yield site
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def release_tree():
    """The release tree of `make dist` (tools/dist.py), built once, in a folder
    www-data can read."""
    folder = tempfile.mkdtemp(prefix="mtpy-release-")
    os.chmod(folder, 0o755)
    try:
        tree = dist.build_tree(folder)
        # Compiled once for all the copies: www-data cannot write __pycache__ there.
        subprocess.run([HOST_PYTHON, "-m", "compileall", "-q", "-j", "2", "lib", "extlib"], cwd=tree,
                       check=True, stdout=subprocess.DEVNULL)
        yield tree
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def release(tmp_path_factory):
    """The release tree and its archives, built once per session."""
    return Release(str(tmp_path_factory.mktemp("release")))


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 (aiosmtpd): (its controller, its Collector)."""
    from aiosmtpd.controller import Controller
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, collector
    controller.stop()


@pytest.fixture
def refusing_server():
    """A web server that answers every request 403 and records it (support.check.Recorder)."""
    server = Recorder(lambda path: (403, [], b"Forbidden"))
    yield server
    server.close()


# Markers, so that none is forgotten: `server` for a test that starts a web
# server (it, a fixture it uses or a function of the tests it calls, at any
# depth, calls wait_for_port, as every server's start does; `served` by the
# kind of server it is given),
# `browser` for Chromium, `postgres` for the PostgreSQL backend or server.
POSTGRES_FIXTURES = {"postgres_server", "postgres_database"}


def starts_a_server(function, known={}):
    """Whether `function` starts a web server: calls wait_for_port, at any depth
    through the functions, classes and modules of tests/ and bench/ that it
    names (directly, imported inside it, as a module's attribute, or in a dict,
    list or tuple)."""
    if function in known:
        return known[function]
    known[function] = False          # while looking: a cycle adds nothing
    codes, names = [function.__code__], set()
    while codes:
        code = codes.pop()
        codes.extend(const for const in code.co_consts if isinstance(const, types.CodeType))
        names.update(code.co_names)
    found = [function.__globals__.get(name) for name in names]
    found += [sys.modules.get(name) for name in names]       # modules imported inside the function
    found += [getattr(module, name, None) for module in found if isinstance(module, types.ModuleType) and ours(module)
              for name in names]
    callables = []
    for value in found:
        if isinstance(value, dict):
            value = list(value.values())
        callables.extend(value if isinstance(value, (list, tuple)) else [value])
        callables.extend(item for inner in callables if isinstance(inner, tuple) for item in inner)
    for value in callables:
        value = inspect.unwrap(value) if callable(value) else value    # a @contextmanager's own function
        if value is wait_for_port:
            known[function] = True
        elif isinstance(value, type) and ours(value):
            known[function] = any(starts_a_server(method) for method in vars(value).values()
                                  if isinstance(method, types.FunctionType))
        elif isinstance(value, types.FunctionType) and ours(value):
            known[function] = starts_a_server(value)
        if known[function]:
            break
    return known[function]


def ours(thing):
    """Whether a function, class or module is the tests' or the benchmarks' own."""
    try:
        path = inspect.getfile(thing)
    except TypeError:
        return False
    return os.path.abspath(path).startswith(OWN_FOLDERS)


OWN_FOLDERS = tuple(os.path.join(ROOT, folder) + os.sep for folder in ("tests", "bench"))


def pytest_configure(config):
    if "not server" in (config.getoption("markexpr", "") or ""):
        os.environ[NO_SERVERS] = "1"


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        # `served` starts a server or not by its parameter (below), not by what it names
        functions = [getattr(item, "function", None)] + [definitions[name][-1].func for name in fixtures
                                                         if definitions.get(name) and name != "served"]
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        if "served" in fixtures and params.get("served") in SERVERS:
            functions.append(SERVERS[params["served"]])
        if any(ours(function) and starts_a_server(function)
               for function in functions if isinstance(function, types.FunctionType)):
            item.add_marker(pytest.mark.server)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
            if "cms" in fixtures:       # then through cms_lighttpd
                item.add_marker(pytest.mark.server)
        if fixtures & POSTGRES_FIXTURES or params.get("backend") == "postgres":
            item.add_marker(pytest.mark.postgres)
