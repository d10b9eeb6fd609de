"""mt-pingback.cgi: the Pingback server (XML-RPC `pingback.ping`, Pingback 1.0).

A thin front end: the call is read (mtpy.pingback.xmlrpc), the page it names
found (find_target), and the notification handed to the receive action, which
TrackBack's pings share (checks, bans, throttles, moderation, junk); it is
stored hidden and its source is read after the answer (the check_linkback
job), so the sender hears back at once (WordPress waits 3 s).

Faults: 32 the target is not a page here, 33 it takes no pings (or no
Pingbacks), 48 already registered, 49 a banned or throttled sender, and 0 for
everything else: like WordPress, nothing that would let a stranger probe a
network through this server. A malformed call gets an XML-RPC fault with 200,
never a 500. No jinja2, no requests on this path (tests/test_config.py).
"""

from mtpy import web
from mtpy.urls import same_address
from mtpy.actions.receive import AlreadyRegistered, PingRejected, TargetClosed, TargetNotFound
from mtpy.apps import ReceivingApp, plain
from mtpy.pingback import xmlrpc

METHODS = ("pingback.ping", "system.listMethods")
# Pingback 1.0's fault codes that this server gives.
GENERIC, TARGET_NOT_FOUND, TARGET_CLOSED, ALREADY_REGISTERED, ACCESS_DENIED = 0, 32, 33, 48, 49
# receive()'s refusal of a banned sender, answered as access denied (its
# throttles are the refusals with status 403).
BANNED = "You are not allowed to send TrackBack pings."
ABOUT = ("This is a Pingback server (XML-RPC). Send it a pingback.ping call by HTTP POST "
         "(Pingback 1.0: hixie.ch/specs/pingback/pingback).")


class PingbackApp(ReceivingApp):
    """WSGI application (mtpy.apps.ReceivingApp: the store, failures, the
    work after the answer)."""

    script, title = "mt-pingback.cgi", "The Pingback server"

    @staticmethod
    def refusal(message, status):
        return _fault(GENERIC, message, status)

    def handle(self, environ):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method in ("GET", "HEAD"):
            return plain(ABOUT)
        if method != "POST":
            return plain("Method not allowed: " + ABOUT, web.STATUS_TEXT[405], [("Allow", "GET, HEAD, POST")])
        limit = self.config.get("MaxRequestBytes")
        body = web.request_body(environ, limit)
        if body is None:
            return _fault(GENERIC, "The call is larger than %d bytes." % limit)
        try:
            name, params = xmlrpc.read_call(body)
        except xmlrpc.CallError as error:
            return _fault(error.code, error.message)
        if name == "system.listMethods":
            return _answer(xmlrpc.response(list(METHODS)))
        if name != "pingback.ping":
            return _fault(xmlrpc.NO_SUCH_METHOD, "There is no method %s here; this server answers %s."
                          % (name[:100], ", ".join(METHODS)))
        if len(params) != 2 or not all(isinstance(param, str) for param in params):
            return _fault(xmlrpc.INVALID_PARAMS, "pingback.ping takes two strings: the source URI and the target URI.")
        return self.ping(environ, params[0].strip(), params[1].strip())

    def ping(self, environ, source, target):
        try:
            remote_ip = web.remote_address(environ, self.config.get("TransparentProxyIPs"))
        except web.AmbiguousAddress as error:
            return _fault(GENERIC, str(error), web.STATUS_TEXT[400])
        if same_address(source, target):
            return _fault(GENERIC, "The source and the target are the same page.")
        try:
            ping, job_ids = self.receive_mention("pingback", source, target, remote_ip)
        except AlreadyRegistered as error:
            return _fault(ALREADY_REGISTERED, str(error))
        except PingRejected as rejected:
            return _fault(fault_code(rejected), rejected.message)
        return self.run_after(_answer(xmlrpc.response(
            "Pingback from %s to %s registered. Keep the web talking! :-)" % (source, target))), job_ids)


def fault_code(rejected):
    """Pingback's code for a refusal of find_target or receive(): 32 and 33
    for the page, 49 for the sender, 33 for any other refusal by the page's
    weblog (the item disabled or closed, Pingbacks switched off, a
    passphrase), 0 for the rest (the source URL refused)."""
    if isinstance(rejected, TargetNotFound):
        return TARGET_NOT_FOUND
    if isinstance(rejected, TargetClosed):
        return TARGET_CLOSED
    if rejected.status.startswith("403") or rejected.message == BANNED:
        return ACCESS_DENIED
    return TARGET_CLOSED if rejected.blog_id is not None else GENERIC


def _answer(document, status="200 OK"):
    return web.Response(document, xmlrpc.CONTENT_TYPE, status)


def _fault(code, message, status="200 OK"):
    return _answer(xmlrpc.fault(code, message), status)
