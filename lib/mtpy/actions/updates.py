"""Update pings: telling the services a weblog lists (Blog.update_ping_urls,
such as http://rpc.weblogs.com/RPC2) that it has a new entry, as Movable Type
2.x did beside TrackBack, with the XML-RPC call
`weblogUpdates.ping(weblog name, weblog URL)`.

The pings are deferred work (an `update_pings` job, queued when a published
entry is saved): every service at once, each bounded by PingTimeout, the whole
job by a deadline. Each outcome is one line of the activity log. A failed
service is not tried again: the next published entry notifies it anyway.
"""

from mtpy.actions.activity import record
from mtpy.actions.sending import JOB_DEADLINE_SECONDS, send_all
from mtpy.models import Blog
from mtpy.pingback.client import NOT_XML_RPC, NotAnAnswer, post_call, read_answer

METHOD = "weblogUpdates.ping"
REPLY_MAX_BYTES = 16 * 1024        # a service answers a struct of two members


def queue_update_pings(store, blog):
    """Queue an update_pings job when the weblog lists services; its id, or None."""
    if not blog.update_ping_urls:
        return None
    return store.enqueue("update_pings", {"blog_id": blog.id}).id


def send_update_pings(store, config, payload, deadline_seconds=JOB_DEADLINE_SECONDS):
    """The update_pings job (payload: blog_id): ping every service of the
    weblog, WORKERS at a time, and log each outcome. Never raises for a
    failed service. Returns {service URL: None when sent, else why not}."""
    blog = store.get(Blog, payload["blog_id"])
    if blog is None:
        return {}       # deleted since: nothing to announce
    services = list(dict.fromkeys(blog.update_ping_urls))
    if not services:
        return {}
    outcomes = send_all(config, services, update_ping(config, blog), deadline_seconds)
    with store.transaction():
        for url in services:
            reason = outcomes[url]
            message = "Update ping to %s: sent" % url if reason is None else \
                "Update ping to %s failed: %s" % (url, reason)
            record(store, "update_ping", message, blog.id)
    return outcomes


def read_update_answer(body, content_type=""):
    """None when the service took the ping, else why not, in words: its
    `message` when it answers flerror true, a fault's faultString,
    "not an XML-RPC answer"... (read by mtpy.pingback.client.read_answer)."""
    import xmlrpc.client
    from mtpy.trackback.replies import clean_message
    try:
        answer = read_answer(body, content_type)
    except xmlrpc.client.Fault as fault:
        words = clean_message(str(fault.faultString or ""))
        return words or "the service answered a fault (code %s)" % clean_message(str(fault.faultCode))[:20]
    except NotAnAnswer as error:
        return str(error)
    if not isinstance(answer, dict) or "flerror" not in answer:
        return "the answer has no flerror"
    if answer["flerror"] in (False, 0, "0"):
        return None
    return clean_message(str(answer.get("message") or "")) or "the service answered flerror true without a message"


def update_ping(config, blog):
    """A send_one for sending.send_all: the XML-RPC call to one service; None
    when the service took it, else why not."""
    from mtpy import outbound

    def ping(url, timeout, deadline):
        try:
            response = post_call(config, url, METHOD, (blog.name, blog.site_url), timeout=timeout,
                                 deadline=deadline, max_bytes=REPLY_MAX_BYTES, site_url=blog.site_url)
        except outbound.OutboundError as error:
            return error.reason
        said = read_update_answer(response.body, response.headers.get("Content-Type") or "")
        if 200 <= response.status < 300:
            return said
        # a fault some servers send with a 500: the status, and its words
        status = ("HTTP %d %s" % (response.status, response.reason)).strip()
        return status if said in (None, NOT_XML_RPC) else "%s: %s" % (status, said)
    return ping
