"""mt-webmention.cgi: the Webmention endpoint (W3C Recommendation, 2017-01-12).

A thin front end: the request's `source` and `target` are checked
(mtpy.webmention.form), the page found (find_target), and the notification
handed to the receive action that TrackBack's pings share. It is stored hidden
and answered 202 Accepted: the source is read after the answer (the
check_linkback job), which shows, updates or withdraws it. Every refusal is a
400 with its reason in plain text (429 for a sender over its limits), as §3.2
asks; no jinja2, no requests on this path (tests/test_config.py).
"""

from mtpy import web
from mtpy.actions.receive import PingRejected
from mtpy.apps import BEING_UPGRADED, ReceivingApp, plain
from mtpy.webmention.form import FORM_TYPE, BadRequest, read_request

ACCEPTED = "202 Accepted"
ABOUT = "This is a Webmention endpoint: send source and target by HTTP POST, as %s." % FORM_TYPE


class WebmentionApp(ReceivingApp):
    """WSGI application (mtpy.apps.ReceivingApp: the store, failures, the
    work after the answer)."""

    script, title = "mt-webmention.cgi", "The Webmention endpoint"

    @staticmethod
    def refusal(message, status):
        return plain(message, status)

    def being_upgraded(self):
        return plain(BEING_UPGRADED, web.STATUS_TEXT[503], [("Retry-After", "600")])

    def handle(self, environ):
        if environ.get("REQUEST_METHOD", "GET").upper() != "POST":
            return plain("Method not allowed. " + ABOUT, web.STATUS_TEXT[405], [("Allow", "POST")])
        limit = self.config.get("MaxRequestBytes")
        body = web.request_body(environ, limit)
        if body is None:
            return plain("The request is larger than %d bytes." % limit, web.STATUS_TEXT[413])
        try:
            source, target = read_request(environ.get("CONTENT_TYPE", ""), body)
            remote_ip = web.remote_address(environ, self.config.get("TransparentProxyIPs"))
        except (BadRequest, web.AmbiguousAddress) as error:
            return plain(str(error), web.STATUS_TEXT[400])
        try:
            ping, job_ids = self.receive_mention("webmention", source, target, remote_ip)
        except PingRejected as rejected:
            # receive()'s 403 is a throttle: the sender may come back (Retry-After).
            status = web.STATUS_TEXT[429 if rejected.status.startswith("403") else 400]
            return plain(rejected.message, status, rejected.headers)
        return self.run_after(plain("Accepted: %s will be read for its link to %s; the mention is shown once "
                                    "it does." % (source, target), ACCEPTED), job_ids)
