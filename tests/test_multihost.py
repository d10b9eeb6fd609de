"""Several web hosts (docs/servers.md, "Several web hosts"): each runs `mtpy serve --wsgi`
from its own folder with its own data folder and the same mt.cfg otherwise; they
share one PostgreSQL database and one published-files folder. Simulated on
127.0.0.1 with three servers. Throttling and rebuild locking hold across them."""

import os
import shutil
import signal
import subprocess
import threading

import pytest

from conftest import Site, free_port, http, install_files, start_wsgi_server
from support.http import SUCCESS, post
from support.publishing import rebuild
from support.waiting import no_jobs_left, wait_for

HOSTS = 3


class Host:
    """Another web host: the scripts, and mt.cfg copied from the first host
    (whose CGIPath, the public address, they all publish); its own data folder."""

    def __init__(self, folder, first):
        self.folder = str(folder)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        cgi_bin = install_files(self.folder)
        self.config_path = os.path.join(cgi_bin, "mt.cfg")
        shutil.copyfile(first.config_path, self.config_path)
        os.makedirs(os.path.join(self.folder, "data"), mode=0o700)   # as `mtpy init` makes it


@pytest.fixture
def hosts(tmp_path, postgres_server, request):
    extra = getattr(request, "param", "")
    first = Site(tmp_path / "host-1", "postgres", extra_config=extra)
    rebuild(first)
    everyone = [first] + [Host(tmp_path / ("host-%d" % number), first) for number in range(2, HOSTS + 1)]
    processes = []
    try:
        for host in everyone:
            processes.append(start_wsgi_server(host))
        yield everyone
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def ping_from_threads(hosts, item, count, threads=6):
    """`count` pings with distinct source URLs, spread over the hosts from several
    threads at once; returns the answers' texts."""
    answers = []
    lock = threading.Lock()

    def send(number):
        for sent in range(number, count, threads):
            host = hosts[sent % len(hosts)]
            text = post("%scgi-bin/mt-tb.cgi/%d" % (host.base, item.id),
                        {"url": "http://remote.example/%d" % sent, "title": "Ping %d" % sent}).text
            with lock:
                answers.append(text)

    workers = [threading.Thread(target=send, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    return answers


def test_pings_on_every_host_are_stored_and_published(hosts):
    first = hosts[0]
    answers = ping_from_threads(hosts, first.item, 30)
    assert answers == [SUCCESS] * 30
    store = first.store()
    assert store.count_pings(first.item.id) == 30
    store.close()
    # Every host republished after its pings, one at a time (the database's
    # advisory lock): the last rebuild read all 30, so no page is left stale.
    assert wait_for(no_jobs_left(first), 60)
    page = open(os.path.join(first.archives, "%06d.html" % first.entry.id), encoding="utf-8").read()
    assert "TrackBack (30)</a>" in page
    assert "TrackBack (30)</a>" in open(os.path.join(first.archives, "index.html"), encoding="utf-8").read()
    for host in hosts:       # each host serves the shared pages and the same popup
        assert "TrackBack (30)</a>" in http(host.base + "%06d.html" % first.entry.id).text
        popup = http(host.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % first.entry.id).text
        assert popup.count('class="trackback-body"') == 30 and "Ping 29" in popup


@pytest.mark.parametrize("hosts", ["OneHourMaxPings 4\n"], indirect=True)
def test_throttle_counts_the_pings_of_every_host(hosts):
    first = hosts[0]
    answers = ping_from_threads(hosts, first.item, 12, threads=4)
    assert answers.count(SUCCESS) == 4
    assert sum("too quickly" in answer for answer in answers) == 8
    store = first.store()
    assert store.count_pings(first.item.id) == 4
    store.close()
