"""Work that runs without cron (issue 21 §3): a request that finds due work
waiting, and no runner at it, runs it after its answer, bounded in time; a
request with nothing due reads one small file. Failed mail and outbound pings
are written to the activity log."""

import io
import os

import pytest
import requests

from support.client import CMSClient
from support.sites import add_author
from support.waiting import no_jobs_left, wait_for
from conftest import ADMIN_PASSWORD, Site, admin_password_hash, free_port, queued_jobs, start_lighttpd, stop
from mtpy import dates, work
from mtpy.actions.activity import KINDS
from mtpy.apps.trackback import TrackbackApp
from mtpy.config import Config
from mtpy.models import Activity, Job


def queue_failed_job(site, kind="notify_ping", payload=None, due_in=-60):
    """A job that failed once and whose retry is due `due_in` seconds from now
    (a notify_ping of a ping deleted since: it succeeds when run)."""
    store = site.store()
    try:
        job = store.enqueue(kind, payload or {"ping_id": 999999})
        job.attempts, job.last_error, job.not_before = 1, "sendmail missing", dates.utc_now(due_in)
        store.update(job)
        return job
    finally:
        store.close()


def popup(config, site):
    """The listing popup, asked of mt-tb.cgi in-process: its Response."""
    app = TrackbackApp(config)
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": "__mode=view&entry_id=%d" % site.entry.id,
               "wsgi.input": io.BytesIO(b"")}
    return app.handle(environ), app


def test_a_retry_runs_after_an_ordinary_page_view_without_cron(tmp_path):
    """Through lighttpd, no cron and no `mtpy work`: one GET of the popup
    runs the retry that was due, after its answer."""
    site = Site(tmp_path / "site", "sqlite")
    queue_failed_job(site)
    process = start_lighttpd(site)
    try:
        answer = requests.get(site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id, timeout=30)
        assert answer.status_code == 200
        assert wait_for(no_jobs_left(site), 20)
    finally:
        stop(process)
    assert "Traceback" not in site.log()


def test_nothing_due_is_told_by_one_number_on_every_backend(site):
    """After a run, the next due time is noted: a request before it starts no
    runner; a retry come due (or a job queued and noted) starts one."""
    config = Config(site.config_path)
    store = site.store()
    try:
        assert work.run_jobs(store, config) == (0, 0)      # notes: nothing for NEXT_DUE_HORIZON
        assert not work.work_waiting(config)
        job = store.enqueue("notify_ping", {"ping_id": 999999})
        job.not_before = dates.utc_now(3600)
        store.update(job)
        work.note_next_due(store, config)
        assert not work.work_waiting(config)    # a retry an hour away: capped at the horizon, not due
        job.not_before = dates.utc_now(-5)
        store.update(job)
        work.note_next_due(store, config)
        assert work.work_waiting(config)
    finally:
        store.close()


def test_a_runner_at_work_keeps_requests_from_starting_another(tmp_path):
    site = Site(tmp_path / "site", "sqlite")
    queue_failed_job(site)
    config = Config(site.config_path)
    response, app = popup(config, site)
    work.run_due_work_after(response, config, app.close_store)
    assert len(response.after) == 1 and app.close_store in response.before_fork
    held = work._runner_lock(config)
    try:
        assert not work.work_waiting(config)
        second, _ = popup(config, site)
        assert work.run_due_work_after(second, config).after == []
        assert work.run_due_work(config) is None and len(queued_jobs(site)) == 1
    finally:
        held.close()
    response.after[0]()
    assert queued_jobs(site) == []
    assert not work.work_waiting(config)


def test_the_runner_stops_at_its_time(tmp_path):
    site = Site(tmp_path / "site", "sqlite", extra_config="DueWorkSeconds 0.000001\n")
    queue_failed_job(site)
    queue_failed_job(site)
    config = Config(site.config_path)
    done, failed = work.run_due_work(config)
    assert done + failed <= 1 and len(queued_jobs(site)) >= 1
    assert work.work_waiting(config)        # what is left is still due: the next request goes on


def test_due_work_off_leaves_it_to_cron(tmp_path):
    site = Site(tmp_path / "site", "sqlite", extra_config="DueWorkSeconds 0\n")
    queue_failed_job(site)
    assert not work.work_waiting(Config(site.config_path))


def test_failed_mail_goes_to_the_activity_log_once_and_when_given_up(tmp_path):
    site = Site(tmp_path / "site", "sqlite",
                extra_config="MailTransfer sendmail\nSendMailPath %s\nEmailAddressMain mt@example.com\n"
                % os.path.join(str(tmp_path), "no-sendmail"))
    store = site.store()
    site.blog.email_new_pings = True
    store.save(site.blog)
    from mtpy.models import Ping
    ping = Ping(tb_id=site.item.id, blog_id=site.blog.id, title="Hi", source_url="http://a.example/",
                ip="127.0.0.1", created_on=dates.utc_now(), visible=True)
    store.insert(ping)
    job = store.enqueue("notify_ping", {"ping_id": ping.id})
    config = Config(site.config_path)
    try:
        for attempt in range(1, work.MAX_ATTEMPTS + 1):
            job = store.get(Job, job.id)
            job.not_before = dates.utc_now(-1)
            store.update(job)
            assert work.run_jobs(store, config, [job.id]) == (0, 1)
            lines = [line.message for line in store.find(Activity, kind="work_failed")]
            assert len(lines) == (1 if attempt < work.MAX_ATTEMPTS else 2)
        assert "Notification mail failed (will be retried)" in lines[0] and "no-sendmail" in lines[0]
        assert "given up after %d attempts" % work.MAX_ATTEMPTS in lines[1]
        assert KINDS["work_failed"]
    finally:
        store.close()


def test_mt_check_warns_of_a_missing_sendmail_without_blocking(tmp_path):
    from mtpy.check import Report, render_text
    missing = os.path.join(str(tmp_path), "no-sendmail")
    site = Site(tmp_path / "site", "sqlite", extra_config="MailTransfer sendmail\nSendMailPath %s\n" % missing)
    report = Report(site.folder, site.config_path)
    [finding] = [finding for finding in report.warnings() if "MailTransfer" in finding.what]
    assert finding.what == ("MailTransfer sendmail: %s is not a program here: notification mail cannot go out."
                            % missing) and not finding.blocks
    assert "SendMailPath" in finding.fix and report.ready and "no-sendmail" in render_text(report)
    with open(missing, "w") as handle:
        handle.write("#!/bin/sh\ncat >/dev/null\n")
    os.chmod(missing, 0o755)
    assert not [finding for finding in Report(site.folder, site.config_path).warnings() if "Mail" in finding.what]


def test_mt_check_asks_the_smtp_server_only(tmp_path, smtp):  # noqa: F811
    from mtpy.mail import transport_problem
    controller, collector = smtp
    answering = Config(text="MailTransfer smtp\nSMTPServer 127.0.0.1:%d\n" % controller.port)
    assert transport_problem(answering) is None and collector.messages == []
    silent = Config(text="MailTransfer smtp\nSMTPServer 127.0.0.1:%d\n" % free_port())
    problem = transport_problem(silent, timeout=1)
    assert problem.startswith("MailTransfer smtp: the server 127.0.0.1:") and "does not answer" in problem


def test_the_dashboard_shows_failed_work_and_runs_it_now(tmp_path):
    """A system administrator's dashboard: the waiting and failed jobs with
    their reasons (escaped), and "Run now" (a form with the token) that runs a
    failed job whose retry is not due yet; another author sees none of it."""
    from mtpy.apps.cms import CMSApp
    site = Site(tmp_path / "site", "sqlite")
    store = site.store()
    site.author.password_hash, site.author.is_admin = admin_password_hash(), True
    store.save(site.author)
    store.close()
    add_author(site, "Writer", {site.blog.id: ["post"]})
    job = queue_failed_job(site, due_in=3600)
    store = site.store()
    job.last_error = "sendmail (<b>/no/sendmail</b>) failed: not found"
    store.update(job)
    store.close()
    app = CMSApp(site.config)
    admin, writer = CMSClient(site.base, app=app), CMSClient(site.base, app=app)
    admin.log_in(site.author.name, ADMIN_PASSWORD)
    page = admin.get("dashboard").text
    assert "Work waiting" in page and "1 job in the queue, 1 failed" in page
    assert "Notification mail" in page and "sendmail (&lt;b&gt;/no/sendmail&lt;/b&gt;) failed" in page
    assert "Run now" in page and "cron" in page
    writer.log_in("Writer", ADMIN_PASSWORD)
    assert "Work waiting" not in writer.get("dashboard").text
    assert writer.post("run_work").status == 403 and len(queued_jobs(site)) == 1
    assert admin.post("run_work", token="forged").status == 403 and len(queued_jobs(site)) == 1
    done = admin.post("run_work").text      # the redirect's page: the work ran after the answer
    assert "The waiting work is running now" in done
    assert queued_jobs(site) == [] and "Work waiting" not in admin.get("dashboard").text


def test_the_public_page_says_mail_fails_but_not_where_sendmail_was_looked_for(tmp_path, refusing_server):
    """mt-check.cgi shows no config value: before set-up or after it, the
    public page names no SendMailPath; mt.cgi's check, for administrators, does."""
    from mtpy.check import Report
    from support.check import call, environ_for
    missing = os.path.join(str(tmp_path), "hidden-place", "sendmail")
    site = Site(tmp_path / "site", "sqlite", extra_config="MailTransfer sendmail\nSendMailPath %s\n" % missing)
    for set_up in (True, False):
        status, page = call(environ_for(site, refusing_server.port))
        assert status == "200 OK" and "does not work" in page and "Notification mail cannot go out" in page
        assert "hidden-place" not in page
        if set_up:
            os.unlink(os.path.join(site.folder, "data", "mtpy.db"))     # before set-up: no store yet
    administrators = Report(site.folder, site.config_path, environ=environ_for(site, refusing_server.port),
                            administrator=True)
    assert [finding for finding in administrators.warnings() if "hidden-place" in finding.what]


def test_any_mt_cgi_screen_runs_due_work_after_its_answer(tmp_path):
    """mt.cgi's log-in page, seen by a visitor who is not logged in."""
    from mtpy.apps.cms import CMSApp
    site = Site(tmp_path / "site", "sqlite")
    queue_failed_job(site)
    assert CMSClient(site.base, app=CMSApp(site.config)).get("login").status == 200
    assert queued_jobs(site) == []


def test_every_job_kind_names_the_function_that_does_it():
    """work.HANDLERS is the table of job kinds: each names a function in its
    home module (republishing in mtpy.publish, mail in mtpy.mail...), and a
    kind it does not know fails the job rather than the worker."""
    import mtpy.publish.republish
    assert work.handler("republish_pings") is mtpy.publish.republish.republish_pings
    assert all(callable(work.handler(kind)) for kind in work.HANDLERS)
    assert set(work.HANDLERS) >= set(work.JOB_NAMES) | set(work.REPORTED_KINDS)
    with pytest.raises(LookupError):
        work.handler("no_such_kind")
