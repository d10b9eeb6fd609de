"""A Pingback server on 127.0.0.1 for the sender's tests: the standard
library's XML-RPC server (one thread per call), `pingback.ping(source, target)`
answering as told per target:

    with PingbackPeer() as peer:
        peer.answers[target] = 17        # a fault code; "ok" (the default); or "slow"
        ... peer.url is the server; peer.calls the (source, target) received
"""

import threading
import xmlrpc.client
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

from support.local_web import Served

SLOW_SECONDS = 10       # a "slow" call's answer comes this late (the sender gives up sooner)


class _ThreadingServer(ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True


class PingbackPeer(Served):
    def __init__(self):
        self.answers = {}
        self.calls = []
        self.released = threading.Event()

        class Quiet(SimpleXMLRPCRequestHandler):
            rpc_paths = ("/xmlrpc.php",)

            def log_message(self, *args):
                pass

        server = _ThreadingServer(("127.0.0.1", 0), requestHandler=Quiet, logRequests=False)
        server.register_function(self.ping, "pingback.ping")
        self.serve(server)
        self.url = "http://127.0.0.1:%d/xmlrpc.php" % self.server.server_address[1]

    def ping(self, source, target):
        self.calls.append((source, target))
        answer = self.answers.get(target, "ok")
        if answer == "slow":
            self.released.wait(SLOW_SECONDS)
        elif answer != "ok":
            raise xmlrpc.client.Fault(answer, "Their words for fault %d <b>&</b>" % answer)
        return "Pingback from %s to %s registered. Keep the web talking! :-)" % (source, target)

    def calls_to(self, target):
        return [call for call in self.calls if call[1] == target]

    def close(self):
        self.released.set()
        super().close()
