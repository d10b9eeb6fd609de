"""E-mail notification of new pings delivered to a real SMTP server (aiosmtpd),
sent by mt-tb.cgi under lighttpd after its answer; and through sendmail."""

import email
import email.policy
import os
import sys

import pytest

from conftest import free_port, start_lighttpd
from support.http import SUCCESS, post
from support.sites import queued_jobs
from support.waiting import wait_for


@pytest.fixture
def mail_site(site, smtp):
    controller, collector = smtp
    site.update_config("MailTransfer smtp\nSMTPServer 127.0.0.1:%d\nEmailAddressMain mt@example.com\n"
                       % controller.port)
    store = site.store()
    site.blog.email_new_pings = True
    store.save(site.blog)
    store.close()
    process = start_lighttpd(site)
    yield site, collector
    process.terminate()
    process.wait(timeout=10)


def test_notification_reaches_smtp_server(mail_site):
    site, collector = mail_site
    result = post(site.ping_url(), {"url": "http://other.example/post", "title": "Their title",
                                    "blog_name": "Their weblog", "excerpt": "Their <b>excerpt</b> &amp; more"})
    assert result.text == SUCCESS
    assert wait_for(lambda: collector.messages), "no mail arrived"
    sender, recipients, content = collector.messages[0]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert sender == "mt@example.com" and recipients == ["melody@example.com"]
    assert message["Subject"] == "[Test Weblog] New TrackBack Ping to Entry %d (Hello <World> & Co)" % site.entry.id
    body = message.get_content().replace("\r\n", "\n")
    assert body == (
        "A new TrackBack ping has been sent to your weblog, on the entry %d (Hello <World> & Co).\n\n"
        "IP Address: 127.0.0.1\nURL: http://other.example/post\nTitle: Their title\n"
        "Weblog: Their weblog\n\nExcerpt:\nTheir excerpt & more\n\n"
        "Mark it as junk: %scgi-bin/mt.cgi?__mode=ping_confirm&blog_id=1&id=1&do=junk\n"
        "Delete it: %scgi-bin/mt.cgi?__mode=ping_confirm&blog_id=1&id=1&do=delete\n"
        % (site.entry.id, site.base, site.base))
    store = site.store()
    assert store.claim_job() is None            # the queue is empty again
    store.close()


def test_category_ping_notification(mail_site):
    site, collector = mail_site
    category, item = site.add_category(label="Perl", allow_pings=True)
    assert post(site.ping_url(item), {"url": "http://other.example/perl"}).text == SUCCESS
    assert wait_for(lambda: collector.messages)
    message = email.message_from_bytes(collector.messages[0][2], policy=email.policy.default)
    assert message["Subject"] == "[Test Weblog] New TrackBack Ping to Category %d (Perl)" % category.id
    assert "on the category %d (Perl)" % category.id in message.get_content()


def test_ping_text_cannot_add_headers(mail_site):
    site, collector = mail_site
    store = site.store()
    site.entry.title = "Entry\r\nBcc: victim@example.net"
    store.save(site.entry)
    store.close()
    post(site.ping_url(), {"url": "http://evil.example/", "title": "x\r\nBcc: victim@example.net\r\n\r\nbody",
                           "blog_name": "y\nTo: victim@example.net"})
    assert wait_for(lambda: collector.messages)
    sender, recipients, content = collector.messages[0]
    assert recipients == ["melody@example.com"]
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert message["Bcc"] is None and message.get_all("To") == ["melody@example.com"]
    assert "\nBcc:" not in content.decode().split("\n\n", 1)[0]


def test_failed_mail_stays_queued_for_mtpy_work(site, smtp):
    """SMTP down: the ping is still accepted; `mtpy work` delivers later."""
    controller, collector = smtp
    dead_port = free_port()
    # DueWorkSeconds 0: no runner of due work follows the ping's answer, which
    # could claim the job between this test making it due and `mtpy work`
    site.update_config("MailTransfer smtp\nSMTPServer 127.0.0.1:%d\nDueWorkSeconds 0\n" % dead_port)
    store = site.store()
    site.blog.email_new_pings = True
    store.save(site.blog)
    store.close()
    process = start_lighttpd(site)
    try:
        assert post(site.ping_url(), {"url": "http://a.example/"}).text == SUCCESS
        # the failure logged, then stored with its back-off (after-answer work
        # that outlives the answer: the job is changed below only once it is done)
        assert wait_for(lambda: "Job" in site.log() and "failed" in site.log()
                        and any(job.last_error for job in queued_jobs(site)))
    finally:
        process.terminate()
        process.wait(timeout=10)
    from mtpy.cli import main
    from mtpy.models import Job
    site.update_config("SMTPServer 127.0.0.1:%d\n" % controller.port)
    store = site.store()
    [job] = store.find(Job)
    job.not_before = "2000-01-01 00:00:00"     # due now rather than after the back-off
    store.update(job)
    store.close()
    assert main(["--config", site.config_path, "work"]) == 0
    assert len(collector.messages) == 1


def test_sendmail_transfer(site, tmp_path):
    """A stand-in sendmail program records what it is given (-oi -t, the message)."""
    script = tmp_path / "sendmail"
    script.write_text("#!%s\nimport sys\nopen(%r, 'wb').write(' '.join(sys.argv[1:]).encode() + b'\\n' + sys.stdin.buffer.read())\n"
                      % (sys.executable, str(tmp_path / "sent")))
    os.chmod(script, 0o755)
    site.update_config("MailTransfer sendmail\nSendMailPath %s\n" % script)
    from mtpy import mail
    message = mail.build_message("a@example.com", "b@example.com", "Hi\nBcc: x@y", "text\n")
    mail.send(site.config, message)
    sent = (tmp_path / "sent").read_bytes()
    assert sent.startswith(b"-oi -t\n")
    parsed = email.message_from_bytes(sent.split(b"\n", 1)[1], policy=email.policy.default)
    assert parsed["Subject"] == "Hi Bcc: x@y" and parsed["Bcc"] is None
