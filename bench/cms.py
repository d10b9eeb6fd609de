"""mt.cgi benchmark (make bench): its screens as cold CGI processes under
lighttpd, on the generated weblog of bench/rebuild.py (10,000 entries, 50
categories, pings), against the floor CGI of bench/ping.py (`python -S`).

Prints the median of the entry list, an entry's edit screen and the ping list
beside the target (at most 10 times the floor), how long saving an entry takes
to answer with its redirect (target under 0.3 s; the republish runs after), and
how long a login takes, of which its password check.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[0:0] = [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tests"), os.path.join(ROOT, "bench")]

from support.client import CMSClient, forms  # noqa: E402
from conftest import ADMIN_PASSWORD, Site, start_lighttpd  # noqa: E402
from ping import FLOOR_SCRIPT  # noqa: E402
from rebuild import generate  # noqa: E402


def timed_get(client, url):
    started = time.perf_counter()
    result = client.request(url, follow=False)
    elapsed = time.perf_counter() - started
    if result.status != 200:
        raise RuntimeError("%s answered %d" % (url, result.status))
    return elapsed


def median_of(client, url, count):
    timed_get(client, url)      # the first one compiles templates into the cache
    return statistics.median(timed_get(client, url) for _ in range(count))


def login_rows(site, name, count):
    """A login as a cold CGI until its redirect, and the password check alone
    (PBKDF2-SHA256 at passwords.ITERATIONS, in this process): what raising the
    iteration count costs an owner."""
    from mtpy.passwords import ITERATIONS, check_password
    logins = []
    for _ in range(count):
        visitor = CMSClient(site.base)
        visitor.get("login")
        fields = {"username": name, "password": ADMIN_PASSWORD, "magic_token": visitor.token()}
        started = time.perf_counter()
        answer = visitor.request(visitor.url("login"), data=urllib.parse.urlencode(fields).encode("utf-8"),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"}, follow=False)
        logins.append(time.perf_counter() - started)
        if answer.status != 303:
            raise RuntimeError("logging in answered %d" % answer.status)
    from conftest import admin_password_hash
    stored = admin_password_hash()
    checks = []
    for _ in range(count):
        started = time.process_time()       # CPU time: what other processes do changes it least
        check_password(ADMIN_PASSWORD, stored)
        checks.append(time.process_time() - started)
    return [("logging in, until its redirect", "%.0f ms" % (1000 * statistics.median(logins)), ""),
            ("of which the password check", "%.0f ms" % (1000 * statistics.median(checks)),
             "CPU time; PBKDF2-SHA256, %d iterations" % ITERATIONS)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--count", type=int, default=30, help="requests per figure")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="mtpy-cmsbench-")
    site = Site(os.path.join(folder, "site"), "sqlite")
    floor_path = os.path.join(site.folder, "cgi-bin", "floor.cgi")
    with open(floor_path, "w") as handle:
        handle.write(FLOOR_SCRIPT % sys.executable)
    os.chmod(floor_path, 0o755)
    store = site.store()
    from mtpy.models import Author
    from mtpy.passwords import hash_password
    blog = generate(store, args.entries, 50, 2)
    for author in store.find(Author, name="Melody"):     # the site's, and the generated weblog's
        author.password_hash, author.is_admin = hash_password(ADMIN_PASSWORD), True
        store.save(author)
    entry = store.list_entries(blog.id, limit=1)[0]
    store.close()
    process = start_lighttpd(site)
    rows = []
    try:
        client = CMSClient(site.base)
        client.log_in(author.name, ADMIN_PASSWORD)
        floor = median_of(client, site.base + "cgi-bin/floor.cgi", args.count)
        rows.append(("floor CGI (python -S)", "%.1f ms" % (1000 * floor), ""))
        for name, url in (("entry list, first page", client.url("entries", blog_id=blog.id)),
                          ("entry list, a title search", client.url("entries", blog_id=blog.id, q="about ping")),
                          ("entry edit screen", client.url("entry_edit", blog_id=blog.id, entry_id=entry.id)),
                          ("ping list, first page", client.url("pings", blog_id=blog.id))):
            median = median_of(client, url, args.count)
            rows.append((name, "%.1f ms" % (1000 * median), "ratio %.1f to the floor (target <= 10)" % (median / floor)))
        page = client.get("entry_edit", blog_id=blog.id, entry_id=entry.id).text
        [(action, fields)] = [form for form in forms(page) if "title" in form[1]]
        saves = []
        for number in range(max(5, args.count // 3)):
            values = [(name, value) for name, values in fields.items() for value in values]
            values = [(name, "Edited %d" % number if name == "title" else value) for name, value in values]
            started = time.perf_counter()
            answer = client.request(urllib.parse.urljoin(client.script_url, action),
                                    data=urllib.parse.urlencode(values).encode("utf-8"),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}, follow=False)
            saves.append(time.perf_counter() - started)
            if answer.status != 303:
                raise RuntimeError("saving answered %d" % answer.status)
        rows.append(("saving an entry, until its redirect", "%.0f ms" % (1000 * statistics.median(saves)),
                     "target < 300 ms (the republish runs after the answer)"))
        rows += login_rows(site, author.name, max(5, args.count // 6))
    finally:
        process.terminate()
        process.wait(timeout=10)
        import shutil
        shutil.rmtree(folder, ignore_errors=True)
    width = max(len(row[0]) for row in rows)
    print("mt.cgi benchmark (%d entries, Python %s, %d cores)" % (args.entries, sys.version.split()[0],
                                                                 os.cpu_count() or 1))
    for name, figure, note in rows:
        print("  %-*s  %10s  %s" % (width, name, figure, note))


if __name__ == "__main__":
    main()
