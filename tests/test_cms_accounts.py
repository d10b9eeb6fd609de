"""A way back into an account (issue 23): "Forgot your password?" by mail through a real SMTP server (aiosmtpd),
an administrator's edit, password and deletion of another author, imported authors given a login, and the
last resort that needs only FTP (a code in data/recover.txt)."""

import email
import email.policy
import hashlib
import os
import re

import pytest

from support.client import CMSClient, forms, logged_in_admin
from support.servers import start_lighttpd, stop
from support.sites import ADMIN_PASSWORD, Site, make_admin
from support.waiting import wait_for
from support.wsgi import serving
from mtpy.models import Activity, Author, Category, Entry, Permission

NEW_PASSWORD = "a-new-secret-42"
CONFIRM = {"confirm_password": ADMIN_PASSWORD}
RECOVERY_CODE = "correct horse battery staple"


def smtp_config(site, smtp):
    controller, collector = smtp
    site.update_config("MailTransfer smtp\nSMTPServer 127.0.0.1:%d\nEmailAddressMain mt@example.com\n"
                       % controller.port)
    return collector


@pytest.fixture
def mail_cms(tmp_path, backend, smtp):
    """mt.cgi in this process, mail going to a real SMTP server: (site, Melody logged in, the collector)."""
    site = Site(tmp_path / "site", backend)
    collector = smtp_config(site, smtp)
    with serving(site):
        yield site, logged_in_admin(site), collector


def stored(site, kind, **equals):
    store = site.store()
    try:
        return store.find(kind, **equals)
    finally:
        store.close()


def activity(site):
    return [line.message for line in stored(site, Activity)]


def the_page(result, typed):
    """A page without what changes from one answer to the next (the typed name, the script nonce)."""
    return re.sub(r'nonce-?[=:"]*[A-Za-z0-9_-]+', "nonce", result.text).replace(typed, "TYPED")


def logged_out(client):
    """Whether the client's login has ended: the dashboard sends it to the login page."""
    result = client.get("dashboard", follow=False)
    return result.status == 303 and "__mode=login" in result.headers["Location"]


def reset_link(collector, number=0):
    message = email.message_from_bytes(collector.messages[number][2], policy=email.policy.default)
    return message, re.search(r"^(http://\S+)$", message.get_content().replace("\r\n", "\n"), re.M).group(1)


def test_forgotten_password_reset_through_smtp(mail_cms):
    """The login page leads to "Forgot your password?"; a link arrives by mail; it sets a new password once,
    logs in, ends the other logins; an unknown name gets the very same answer, and no mail."""
    site, melody, collector = mail_cms
    visitor = CMSClient(site.base)
    login = visitor.get("login")
    assert '<a href="/cgi-bin/mt.cgi?__mode=forgot">Forgot your password?</a>' in login.text
    page = visitor.get("forgot")
    assert page.status == 200 and 'name="name"' in page.text and ">Send me a link</button>" in page.text
    unknown = visitor.post("forgot", {"name": "Nobody"})
    assert not collector.messages
    known = visitor.post("forgot", {"name": "Melody"})
    assert (known.status, the_page(known, "Melody")) == (unknown.status, the_page(unknown, "Nobody"))
    assert known.status == 200 and "a link to choose a new password is on its way" in known.text
    wait_for(lambda: collector.messages)
    sender, recipients, _ = collector.messages[0]
    assert sender == "mt@example.com" and recipients == ["melody@example.com"]
    message, link = reset_link(collector)
    assert message["Subject"] == "Your password for Melody"
    assert "within an hour. It works once" in message.get_content()
    assert link.startswith(site.base + "cgi-bin/mt.cgi?__mode=reset&token=")
    token = link.split("token=")[1]
    author = stored(site, Author, name="Melody")[0]
    assert author.reset_hash == hashlib.sha256(token.encode()).hexdigest() and token not in repr(author)
    form = visitor.request(link)
    assert form.status == 200 and "For <strong>Melody</strong>" in form.text
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert [fields["token"] for _, fields in forms(form.text)] == [[token]]      # the form carries it on
    assert visitor.post("reset", {"token": token, "password": NEW_PASSWORD,
                                  "password_again": "not the same"}).status == 200
    assert "The two passwords differ." in visitor.last.text
    done = visitor.post("reset", {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status == 200 and "Log out" in done.text and "__mode=dashboard" in done.url
    assert logged_out(melody)                                               # the other login ended
    assert stored(site, Author, name="Melody")[0].reset_hash == ""
    again = CMSClient(site.base).request(link)
    assert again.status == 410 and "it was used already" in again.text
    CMSClient(site.base).log_in("Melody", NEW_PASSWORD)
    lines = activity(site)
    assert "Password reset for Melody" in lines and "Mailed a password reset link to Melody" in lines
    assert "New password asked for Nobody: no author of that name or e-mail address has an e-mail address, " \
           "nothing was sent" in lines


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_reset_mail_leaves_after_the_answer_under_lighttpd(site, smtp):
    """As a host runs it: mt.cgi a CGI process that answers, then sends the mail in the process it forks."""
    collector = smtp_config(site, smtp)
    make_admin(site)
    process = start_lighttpd(site)
    try:
        visitor = CMSClient(site.base)
        visitor.get("forgot")
        assert visitor.post("forgot", {"name": "Melody"}).status == 200
        wait_for(lambda: collector.messages)
        _, link = reset_link(collector)
        assert visitor.request(link).status == 200
        done = visitor.post("reset", {"token": link.split("token=")[1], "password": NEW_PASSWORD,
                                      "password_again": NEW_PASSWORD})
        assert "Log out" in done.text
    finally:
        stop(process)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_expired_link_says_so_and_changes_nothing(mail_cms):
    from mtpy.actions.authors import author_for_reset, start_reset
    site, _, collector = mail_cms
    visitor = CMSClient(site.base)
    visitor.get("forgot")
    visitor.post("forgot", {"name": "melody@example.com"})      # by e-mail address too
    _, link = reset_link(collector, wait_for(lambda: len(collector.messages)) - 1)
    store = site.store()
    author = store.find(Author, name="Melody")[0]
    store.update(author.copy(reset_expires="2020-01-01 00:00:00"))
    token = start_reset(store, store.get(Author, author.id), now="2026-12-01 10:00:00")
    assert author_for_reset(store, token, now="2026-12-01 10:59:59")[1] is None
    assert author_for_reset(store, token, now="2026-12-01 11:00:00") == (None, "expired")
    store.update(store.get(Author, author.id).copy(reset_hash=author.reset_hash))
    store.close()
    expired = visitor.request(link)
    assert expired.status == 410 and "This link has expired" in expired.text and 'name="password"' not in expired.text
    refused = visitor.post("reset", {"token": link.split("token=")[1], "password": NEW_PASSWORD,
                                     "password_again": NEW_PASSWORD})
    assert refused.status == 410
    CMSClient(site.base).log_in("Melody", ADMIN_PASSWORD)      # the old password still works


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_reset_requests_are_limited_per_address_and_per_author(mail_cms):
    site, _, collector = mail_cms
    visitor = CMSClient(site.base)
    visitor.get("forgot")
    token = visitor.token()
    forged = visitor.request(visitor.url("forgot"), data=b"name=Melody&magic_token=" + token.encode(),
                             headers={"Host": "evil.example", "Content-Type": "application/x-www-form-urlencoded"})
    answers = [forged] + [visitor.post("forgot", {"name": "Melody"}) for _ in range(4)]
    assert {answer.status for answer in answers} == {200}
    assert len({the_page(answer, "Melody") for answer in answers}) == 1     # mailed or not: the same page
    wait_for(lambda: len(collector.messages) >= 3)
    assert len(collector.messages) == 3                  # three links an hour to one author, whoever asks
    sixth = visitor.post("forgot", {"name": "Someone"})
    assert sixth.status == 429 and int(sixth.headers["Retry-After"]) > 0
    assert "Too many requests for a new password from your address" in sixth.text
    assert any("not mailed to Melody, who was sent 3 links in the last hour" in line for line in activity(site))
    # only the newest link works; each is on the site's own address, whatever Host the request named
    _, first = reset_link(collector, 0)
    assert first.startswith(site.base + "cgi-bin/mt.cgi?__mode=reset&token=")
    _, newest = reset_link(collector, 2)
    assert CMSClient(site.base).request(first).status == 410
    assert CMSClient(site.base).request(newest).status == 200


def test_the_reset_mail_cannot_gain_headers():
    from mtpy.config import Config
    from mtpy.mail import password_reset_message
    config = Config(None)
    author = Author(name="Eve\r\nBcc: victim@example.net", email="eve@example.com\r\nCc: x@example.net")
    message = password_reset_message(config, author, "http://example.com/mt.cgi?__mode=reset&token=abc",
                                     "192.0.2.1\nX: y", 1, now="2026-12-01 10:00:00")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["Cc"] is None and parsed["X"] is None
    assert parsed["Subject"] == "Your password for Eve Bcc: victim@example.net"


def add_author(site, **values):
    store = site.store()
    author = Author(**values)
    store.save(author)
    store.close()
    return author


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_admin_gives_an_imported_author_a_login(cms):
    site, admin = cms
    imported = add_author(site, name="Imported")              # as an import makes them: no password, no e-mail
    listing = admin.get("authors").text
    assert "cannot log in yet" in listing.split("Imported")[1]
    page = admin.get("author_edit", id=imported.id)
    assert "Imported cannot log in yet" in page.text and 'name="new_password"' in page.text
    taken = admin.post("author_edit", {"name": "Melody", "email": "", **CONFIRM}, id=imported.id)
    assert 'id="name-error">There is already an author named &#39;Melody&#39;' in taken.text
    wrong = admin.post("author_edit", {"name": "Ivy", "email": "ivy@example.com", "new_password": NEW_PASSWORD,
                                       "new_password_again": NEW_PASSWORD, "confirm_password": "wrong-one!"},
                       id=imported.id)
    assert 'id="confirm_password-error">' in wrong.text and stored(site, Author, id=imported.id)[0].name == "Imported"
    saved = admin.post("author_edit", {"name": "Ivy", "email": "ivy@example.com", "new_password": NEW_PASSWORD,
                                       "new_password_again": NEW_PASSWORD, **CONFIRM}, id=imported.id)
    assert "Your changes have been saved." in saved.text and 'value="Ivy"' in saved.text
    assert "cannot log in yet" not in admin.get("authors").text
    ivy = CMSClient(site.base)
    ivy.log_in("Ivy", NEW_PASSWORD)
    lines = activity(site)
    assert "Renamed author Imported to Ivy" in lines and "Changed the e-mail address of Ivy" in lines
    assert "Changed the password of Ivy" in lines
    # A password the administrator sets ends the author's logins
    admin.post("author_edit", {"name": "Ivy", "email": "ivy@example.com", "new_password": NEW_PASSWORD + "!",
                               "new_password_again": NEW_PASSWORD + "!", **CONFIRM}, id=imported.id)
    assert logged_out(ivy)
    # Their own password set here keeps the administrator logged in
    melody = stored(site, Author, name="Melody")[0]
    admin.post("author_edit", {"name": "Melody", "email": "melody@example.com", "is_admin": "1",
                               "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD, **CONFIRM},
               id=melody.id)
    assert not logged_out(admin)


@pytest.mark.parametrize("backend", ["sqlite", "flat"], indirect=True)
def test_deleting_an_author_hands_on_their_entries(cms):
    from mtpy.actions import ActionError
    from mtpy.actions.authors import delete_author
    site, admin = cms
    writer = add_author(site, name="Writer", email="writer@example.com")
    store = site.store()
    entry = store.get(Entry, site.entry.id)
    store.update(entry.copy(author_id=writer.id))
    store.save(Category(blog_id=site.blog.id, author_id=writer.id, label="Theirs"))
    store.save(Permission(author_id=writer.id, blog_id=site.blog.id, can=["post"]))
    store.close()
    assert "Delete Writer&hellip;" in admin.get("author_edit", id=writer.id).text
    page = admin.get("author_delete", id=writer.id)
    assert page.status == 200 and "Their 1 entry and\n1 category go to the author you choose" in page.text
    assert '<option value="%d" selected>Melody (you)</option>' % site.author.id in page.text
    refused = admin.post("author_delete", {"heir_id": str(site.author.id)}, id=writer.id)
    assert 'id="confirm_password-error">' in refused.text and stored(site, Author, name="Writer")
    done = admin.post("author_delete", {"heir_id": str(site.author.id), **CONFIRM}, id=writer.id)
    assert done.status == 200 and "Deleted." in done.text and "Writer" not in done.text
    assert not stored(site, Author, name="Writer") and not stored(site, Permission, author_id=writer.id)
    assert stored(site, Entry, id=site.entry.id)[0].author_id == site.author.id
    assert stored(site, Category, label="Theirs")[0].author_id == site.author.id
    assert "Deleted author Writer; 1 entry went to Melody" in activity(site)
    # Never oneself (another administrator has to), and never the last administrator
    own = admin.get("author_delete", id=site.author.id)
    assert "You cannot delete yourself" in own.text and 'name="heir_id"' not in own.text
    heir = add_author(site, name="Heir", email="heir@example.com")
    refused = admin.post("author_delete", {"heir_id": str(heir.id), **CONFIRM}, id=site.author.id)
    assert "You cannot delete yourself" in refused.text and stored(site, Author, name="Melody")
    store = site.store()
    try:
        with pytest.raises(ActionError, match="last system administrator"):
            delete_author(store, store.get(Author, site.author.id), heir)
    finally:
        store.close()


# -- the recovery file ----------------------------------------------------------------

def upload_recovery_file(site, code=RECOVERY_CODE):
    path = os.path.join(site.folder, "data", "recover.txt")
    with open(path, "w") as handle:
        handle.write(code + "\n")
    return path


def recovery_fields(code=RECOVERY_CODE, name="Melody", password=NEW_PASSWORD, **more):
    return {"code": code, "username": name, "email": "", "password": password, "password_again": password, **more}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_recovery_file_gives_back_an_administrator_once(cms):
    site, melody = cms
    stranger = CMSClient(site.base)
    without = stranger.get("recover")
    path = upload_recovery_file(site)
    with_file = stranger.get("recover")
    assert without.status == with_file.status == 200 and the_page(without, "x") == the_page(with_file, "x")
    assert "<code>data/recover.txt</code>" in with_file.text
    refusals = []
    for code, present in (("wrong code entirely", True), (RECOVERY_CODE, False)):
        if not present:
            os.rename(path, path + ".away")
        refusals.append(stranger.post("recover", recovery_fields(code)))
        if not present:
            os.rename(path + ".away", path)
    assert [refused.status for refused in refusals] == [403, 403]
    assert the_page(refusals[0], "x") == the_page(refusals[1], "x")          # a file or none: the same answer
    assert "Nothing was changed" in refusals[0].text
    melody.get("recover")                       # a browser logged in as someone posts it as well
    assert "Nothing was changed" in melody.post("recover", recovery_fields("wrong code entirely")).text
    short = stranger.post("recover", recovery_fields(password="short"))
    assert 'id="password-error">A password needs at least 8 characters' in short.text and os.path.exists(path)
    done = stranger.post("recover", recovery_fields())
    assert done.status == 200 and "Log out" in done.text and not os.path.exists(path)
    assert logged_out(melody)                                              # every other login ended
    lines = activity(site)
    assert "Password recovered for Melody with the recovery file" in lines
    assert "Wrong code on the recovery page (no recovery file)" in lines
    assert "Wrong code on the recovery page (a wrong code)" in lines
    assert stranger.post("recover", recovery_fields()).status == 403      # once
    CMSClient(site.base).log_in("Melody", NEW_PASSWORD)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_recovery_file_makes_an_author_an_administrator_or_a_new_one(cms):
    site, _ = cms
    add_author(site, name="Writer", email="writer@example.com")
    upload_recovery_file(site)
    CMSClient(site.base).post("recover", recovery_fields(name="Writer"))
    assert stored(site, Author, name="Writer")[0].is_admin
    upload_recovery_file(site)
    new = CMSClient(site.base)
    refused = new.post("recover", recovery_fields(name="Owner"))
    assert 'id="email-error">' in refused.text
    new.post("recover", recovery_fields(name="Owner", email="owner@example.com"))
    assert "Log out" in new.last.text and stored(site, Author, name="Owner")[0].is_admin


def test_what_counts_as_a_fresh_recovery_file(tmp_path):
    from mtpy.actions.authors import recovery_code_problem
    from mtpy.config import Config
    config_path = tmp_path / "mt.cfg"
    config_path.write_text("DataSource %s\n" % (tmp_path / "data"))
    config = Config(str(config_path))
    os.makedirs(tmp_path / "data")
    path = tmp_path / "data" / "recover.txt"
    assert recovery_code_problem(config, RECOVERY_CODE) == "no recovery file"
    path.write_text("\ufeff  %s\r\n" % RECOVERY_CODE)
    uploaded = os.stat(path).st_ctime
    assert recovery_code_problem(config, RECOVERY_CODE, now=uploaded + 3600) is None
    assert recovery_code_problem(config, " %s " % RECOVERY_CODE, now=uploaded) is None
    assert recovery_code_problem(config, RECOVERY_CODE, now=uploaded + 3601) == "the recovery file is older than an hour"
    os.utime(path, (0, 0))          # an FTP client keeping the file's old time: the upload still counts
    assert recovery_code_problem(config, RECOVERY_CODE, now=uploaded + 60) is None
    assert recovery_code_problem(config, RECOVERY_CODE[:-1]) == "a wrong code"
    assert recovery_code_problem(config, "") == "a wrong code"
    path.write_text("too short")
    assert "shorter than 12 characters" in recovery_code_problem(config, "too short")
    path.unlink()
    target = tmp_path / "elsewhere.txt"
    target.write_text(RECOVERY_CODE)
    os.symlink(target, path)
    assert recovery_code_problem(config, RECOVERY_CODE) == "no recovery file"
    path.unlink()
    os.mkdir(path)
    assert recovery_code_problem(config, RECOVERY_CODE) == "the recovery file is not a file"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_recovery_codes_cannot_be_guessed_quickly(cms):
    site, _ = cms
    upload_recovery_file(site)
    stranger = CMSClient(site.base)
    statuses = [stranger.post("recover", recovery_fields("guess number %d" % number)).status for number in range(6)]
    assert statuses == [403] * 5 + [429]
    assert stranger.last.headers["Retry-After"]
    slowed = stranger.post("recover", recovery_fields())        # the right code too, until the wait is over
    assert slowed.status == 429 and os.path.exists(os.path.join(site.folder, "data", "recover.txt"))
