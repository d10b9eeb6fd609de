"""E-mail notification of new pings, as Movable Type sent it (to the author of the
pinged entry or category, where the weblog's "email new pings" is on), through
sendmail or SMTP.

Ping text is untrusted: header values are forced onto one line and the message is
built with the email package, so nothing a pinger sends can add a header.
"""

from mtpy.junk import source_host
from mtpy.models import PROTOCOL_NAMES, Author, Blog, Category, Entry, Ping, Trackback
from mtpy.text import header_safe, plain_text
from mtpy.urls import held_pings_url, script_url


class MailError(Exception):
    pass


def notify_ping(store, config, payload):
    """The notify_ping job (payload: ping_id): mail the new ping's notice, if
    anyone is to be told."""
    ping = store.get(Ping, payload["ping_id"])
    if ping is None:
        return  # deleted before the mail went out: nothing to say
    message = ping_notification(store, config, ping)
    if message is not None:
        send(config, message)


def ping_notification(store, config, ping):
    """The message for a new ping, or None when nobody is to be told (nor of
    junk, nor of one its source withdrew). A ping held for approval says so and
    links to mt.cgi's held pings. A Pingback or Webmention says which it is,
    its kind and its author, where the source named one."""
    from mtpy.actions.pings import listed_state
    item = store.get(Trackback, ping.tb_id)
    blog = store.get(Blog, ping.blog_id)
    state = listed_state(ping)
    if item is None or blog is None or not blog.email_new_pings or state in ("junk", "withdrawn"):
        return None
    if item.entry_id is not None:
        owner = store.get(Entry, item.entry_id)
        kind, number, name = "Entry", item.entry_id, owner.title if owner else item.title
        where = "the entry"
    else:
        owner = store.get(Category, item.category_id)
        kind, number, name = "Category", item.category_id, owner.label if owner else item.title
        where = "the category"
    author = store.get(Author, owner.author_id) if owner is not None and owner.author_id else None
    if author is None or not author.email:
        return None
    if ping.protocol == "trackback":        # as Movable Type said it
        subject = "[%s] New TrackBack Ping to %s %d (%s)" % (blog.name, kind, number, name)
        body = "A new TrackBack ping has been sent to your weblog, on %s %d (%s).\n\n" % (
            where, number, header_safe(name))
    else:
        what = what_arrived(ping)
        subject = "[%s] New %s to %s %d (%s)" % (blog.name, what, kind, number, name)
        body = "A %s from %s links to your weblog, on %s %d (%s).\n\n" % (
            what, header_safe(plain_text(ping.author_name or ping.blog_name))
            or source_host(ping.source_url) or "an unnamed page", where, number, header_safe(name))
    body += "IP Address: %s\nURL: %s\nTitle: %s\nWeblog: %s\n" % (
        header_safe(ping.ip), header_safe(ping.source_url), header_safe(plain_text(ping.title)),
        header_safe(plain_text(ping.blog_name)))
    if ping.author_name or ping.author_url:
        body += "Author: %s\n" % " ".join(filter(None, (header_safe(plain_text(ping.author_name)),
                                                          ping.author_url and "<%s>" % header_safe(ping.author_url))))
    body += "\nExcerpt:\n%s\n" % plain_text(ping.excerpt)
    body += "\n" + action_links(config, blog, ping, state)
    if state == "held":
        subject += " awaiting approval"
        body = held_notice(config, blog, ping) + "\n" + body
    sender = config.get("EmailAddressMain") or author.email
    return build_message(sender, author.email, subject, body)


def what_arrived(ping):
    """"Pingback", "Webmention (a reply)": the protocol's name, and the kind
    when it is more than a mention."""
    name = PROTOCOL_NAMES.get(ping.protocol, "ping")
    return name if ping.kind == "mention" else "%s (a %s)" % (name, ping.kind)


# What a mail's links offer for a ping in each state it is mailed in: `do`
# of mt.cgi's ping_confirm, and the words.
MAIL_ACTIONS = {
    "held": (("approve", "Approve it"), ("junk", "Mark it as junk"), ("delete", "Delete it")),
    "published": (("junk", "Mark it as junk"), ("delete", "Delete it")),
}


def action_links(config, blog, ping, state):
    """The mail's links to mt.cgi's confirmation of each change the ping can
    take: a page that asks first (a GET changes nothing, so neither a mail
    scanner following links nor a stray click does)."""
    base = "%s?__mode=ping_confirm&blog_id=%d&id=%d" % (script_url(config, "AdminScript", blog.site_url),
                                                      blog.id, ping.id)
    return "".join("%s: %s&do=%s\n" % (words, base, do) for do, words in MAIL_ACTIONS.get(state, ()))


def held_notice(config, blog, ping):
    """What a held ping's mail says first: why it waits, and where to approve it."""
    why = "".join("  - %s\n" % header_safe(reason) for reason in ping.junk_reasons)
    return ("This ping is held: it is not shown on your weblog until you approve it.\n%s"
            "Approve it, or mark it as junk, at:\n%s\n") % (
        "Why it looks suspicious:\n" + why if why else "", held_pings_url(config, blog))


def password_reset_message(config, author, link, ip, hours, now=None):
    """The mail with an author's password reset link (`link`, valid `hours`)."""
    body = ("Someone, probably you, asked for a new password for the author %s in mt.cgi\n"
            "(from the address %s).\n\n"
            "To choose a new password, open this link within %s. It works once:\n\n%s\n\n"
            "If you did not ask for it, ignore this mail: your password stays as it is.\n") % (
        header_safe(author.name), header_safe(ip), "an hour" if hours == 1 else "%d hours" % hours, link)
    return build_message(config.get("EmailAddressMain") or author.email, author.email,
                         "Your password for %s" % author.name, body, now)


def build_message(sender, recipient, subject, body, now=None):
    """A plain-text message; dated `now` (stored UTC; default: the clock), in UTC."""
    from email.message import EmailMessage
    from email.utils import make_msgid
    from mtpy import dates
    message = EmailMessage()
    message["From"] = header_safe(sender)
    message["To"] = header_safe(recipient)
    message["Subject"] = header_safe(subject)
    message["Date"] = dates.rfc5322(now or dates.utc_now())
    message["Message-ID"] = make_msgid(domain="mtpy.invalid")
    message.set_content(body)
    return message


def send(config, message):
    """Deliver through the configured MailTransfer; raises MailError."""
    transfer = config.get("MailTransfer")
    if transfer == "debug":
        import sys
        sys.stderr.write(message.as_string() + "\n")
        return
    if transfer == "smtp":
        import smtplib
        try:
            with smtplib.SMTP(*_smtp_address(config), timeout=30) as smtp:
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError("SMTP delivery through %s failed: %s" % (config.get("SMTPServer"), error))
        return
    import subprocess
    try:
        done = subprocess.run([config.get("SendMailPath"), "-oi", "-t"], input=message.as_bytes(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        raise MailError("sendmail (%s) failed: %s" % (config.get("SendMailPath"), error))
    if done.returncode != 0:
        raise MailError("sendmail (%s) exited with %d: %s" % (
            config.get("SendMailPath"), done.returncode, done.stderr.decode("utf-8", "replace").strip()))


def _smtp_address(config):
    """(host, port) of SMTPServer ("host" or "host:port")."""
    host, _, port = config.get("SMTPServer").partition(":")
    return host, int(port or 25)


def transport_problem(config, timeout=3):
    """Why the configured MailTransfer cannot deliver, in a sentence, or None:
    a SendMailPath that is no program, an SMTPServer that does not greet within
    `timeout` seconds (only the configured host is asked, and sent nothing)."""
    transfer = config.get("MailTransfer")
    if transfer == "sendmail":
        import os
        path = config.get("SendMailPath")
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return "MailTransfer sendmail: %s is not a program here" % path
    elif transfer == "smtp":
        import smtplib
        try:
            with smtplib.SMTP(*_smtp_address(config), timeout=timeout) as smtp:
                smtp.noop()
        except (OSError, ValueError, smtplib.SMTPException) as error:
            return "MailTransfer smtp: the server %s does not answer (%s)" % (config.get("SMTPServer"), error)
    return None
