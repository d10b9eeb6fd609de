"""mt-tb.cgi: receives pings, answers `__mode=rss`, shows the `__mode=view` popup.

The ping path imports neither jinja2 nor requests: mail goes out and pages are
republished after the response, and the popup renders a template only when
what it shows has changed since it was last rendered (publish/listing.py).
"""

from mtpy import web
from mtpy.store import SchemaError
from mtpy.trackback import envelope
from mtpy.actions.receive import Incoming, PingRejected, find_item, receive
from mtpy.apps import BEING_UPGRADED, ReceivingApp

POST_ONLY = "Trackback pings must use HTTP POST"
# What mt-tb.cgi answers: pings by POST (and GET while AllowGetPings is on), and
# `__mode=rss`/`__mode=view` by GET. Anything else (HEAD, PUT, DELETE, OPTIONS,
# PATCH...) is 405 and never stores a ping.
ALLOWED_METHODS = ("GET", "POST")


class TrackbackApp(ReceivingApp):
    """WSGI application (mtpy.apps.ReceivingApp: the store, failures, the
    work after the answer)."""

    script, title = "mt-tb.cgi", "The TrackBack server"

    @staticmethod
    def refusal(message, status):
        return _xml_error(message, status)

    def handle(self, environ):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method not in ALLOWED_METHODS:
            return _xml_error("Method not allowed: TrackBack pings use HTTP POST.", web.STATUS_TEXT[405],
                              [("Allow", ", ".join(ALLOWED_METHODS))])
        limit = self.config.get("MaxRequestBytes")
        body = web.request_body(environ, limit) if method == "POST" else b""
        if body is None:
            return _xml_error("The request is larger than %d bytes." % limit, web.STATUS_TEXT[413])
        from mtpy.trackback.form import decode_form_with_charset, unusable_charset
        content_type = environ.get("CONTENT_TYPE", "")
        fields, charset = decode_form_with_charset(environ.get("QUERY_STRING", ""), body, content_type)
        mode = fields.get("__mode", "")
        tb_id, passphrase = _item_address(web.environ_text(environ, "PATH_INFO"), fields)
        if mode == "rss":
            return self.rss(tb_id, fields)
        if mode == "view":
            return self.view(fields)
        if mode:
            return _html_error("Unknown action %s" % mode, web.STATUS_TEXT[400])
        if method != "POST" and not self.config.get("AllowGetPings"):
            return _xml_error(POST_ONLY)  # 200, like every other protocol error
        unusable = unusable_charset(content_type, fields, charset)
        if unusable:
            return _xml_error("The charset %s cannot carry a ping (it is not ASCII-compatible): "
                              "send it in UTF-8." % unusable)
        return self.ping(environ, tb_id, passphrase, fields)

    def ping(self, environ, tb_id, passphrase, fields):
        try:
            remote_ip = web.remote_address(environ, self.config.get("TransparentProxyIPs"))
        except web.AmbiguousAddress as error:
            return _xml_error(str(error), web.STATUS_TEXT[400])
        try:
            ping, job_ids = receive(self.store(), self.config, incoming_ping(tb_id, passphrase, fields, remote_ip))
        except PingRejected as rejected:
            return _xml_error(rejected.message, rejected.status, rejected.headers)
        return self.run_after(web.Response(envelope.success(), envelope.CONTENT_TYPE), job_ids)

    def rss(self, tb_id, fields):
        """The newest pings (`PingsPerPage`, or `limit=` up to envelope.RSS_MAX),
        oldest first, after skipping the `offset=` newest."""
        store = self.store()
        try:
            item, blog = find_item(store, tb_id)
        except PingRejected as rejected:
            return _xml_error(rejected.message)
        limit, offset = envelope.rss_window(fields, self.config.get("PingsPerPage"))
        pings = store.list_pings(tb_id=item.id, newest_first=True, limit=limit, offset=offset)[::-1]
        from mtpy.publish.feeds import feed_link     # as ID.xml says it (a category saved long ago too)
        return web.Response(envelope.success(envelope.rss(item, pings, link=feed_link(store, blog, item))),
                            envelope.CONTENT_TYPE)

    def view(self, fields):
        """The popup: an HTML page, errors included (never the ping protocol's XML)."""
        try:
            self.store()
        except SchemaError as error:
            self.log_schema(error)
            return _html_error(BEING_UPGRADED, web.STATUS_TEXT[503])
        try:
            from mtpy.publish.listing import listing_page, ListingError
            from mtpy.publish.templates import TemplateSetError
            try:
                html = listing_page(self.store(), self.config, fields)
            except ListingError as error:
                return _html_error(str(error), web.STATUS_TEXT[404])
            except TemplateSetError as error:   # the owner's to fix; no paths for visitors
                web.log_error(self.config.get("LogFile"), "mt-tb.cgi cannot show a listing: %s" % error)
                return _html_error("This weblog's templates are missing. The site's log has details.",
                                   web.STATUS_TEXT[500])
        except Exception:
            web.log_error(self.config.get("LogFile"), "mt-tb.cgi failed to show a listing (entry_id %r, "
                          "category_id %r)" % (fields.get("entry_id", "")[:40], fields.get("category_id", "")[:40]))
            return _html_error("This listing cannot be shown right now. The site's log has details.",
                               web.STATUS_TEXT[500])
        return web.Response(html)


def incoming_ping(tb_id, passphrase, fields, remote_ip):
    """A TrackBack ping as the receive action takes any notification: `fields`
    are the form's (url, title, excerpt, blog_name; absent ones stay None)."""
    return Incoming(tb_id, fields.get("url"), fields.get("title"), fields.get("excerpt"), fields.get("blog_name"),
                    remote_ip=remote_ip, passphrase=passphrase)


def _item_address(path_info, fields):
    """(tb_id text, passphrase) from `/5/secret` or from tb_id= and pass=."""
    path = path_info.strip("/")
    if path:
        item, _, passphrase = path.partition("/")
        if item.isdigit() and "/" not in passphrase:
            return item, passphrase
        return path, ""  # not an id: reported as Invalid TrackBack ID 'path'
    return fields.get("tb_id", "").strip(), fields.get("pass", "")


def _xml_error(message, status="200 OK", headers=()):
    return web.Response(envelope.error(message), envelope.CONTENT_TYPE, status, headers)


def _html_error(message, status):
    from mtpy.text import escape_html
    page = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Error</title></head>\n'
            '<body><h1>Error</h1>\n<p>%s</p>\n</body></html>\n') % escape_html(message)
    return web.Response(page, status=status)
