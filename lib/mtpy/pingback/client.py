"""XML-RPC as mtpy's sender speaks it, for Pingback's `pingback.ping` and the
update services' `weblogUpdates.ping` (mtpy.actions.updates): a call sent
through mtpy.outbound, and reading an answer safely. Whatever surrounds <methodResponse> (warnings a
careless server prints before it) is ignored; a document declaring a DTD or
entities is refused before any parser sees it."""

NOT_XML_RPC = "not an XML-RPC answer"


class NotAnAnswer(ValueError):
    """An answer that is no XML-RPC response; its text says why, in words."""


def post_call(config, url, method, params, **options):
    """POST the XML-RPC call `method(*params)` to `url` through mtpy.outbound
    (its address rules and limits; `options` are outbound.fetch's). Returns
    the Response whatever its status (a fault may come with a 500); raises
    outbound.OutboundError when there is no answer."""
    from mtpy import outbound
    return outbound.fetch(config, url, method="POST", data=call_body(method, params),
                          headers={"Content-Type": "text/xml"}, any_status=True, **options)


def call_body(method, params):
    """The body of an XML-RPC call (UTF-8 bytes), its strings without the
    characters XML 1.0 cannot carry."""
    import xmlrpc.client
    params = tuple(xml_characters(param) if isinstance(param, str) else param for param in params)
    return xmlrpc.client.dumps(params, methodname=method, encoding="utf-8").encode("utf-8")


def read_answer(body, content_type=""):
    """The value an XML-RPC answer carries (None without one); raises
    xmlrpc.client.Fault for a fault, NotAnAnswer for anything else."""
    import re
    import xmlrpc.client
    from xml.parsers.expat import ExpatError
    from mtpy.outbound import decode_body
    text = decode_body(body, content_type) if isinstance(body, bytes) else body
    start = re.search(r"<methodResponse\b", text, re.I)
    if start is None:
        raise NotAnAnswer(NOT_XML_RPC)
    if re.search(r"<!(doctype|entity)", text, re.I):
        raise NotAnAnswer("the answer declares a DTD")
    end = re.search(r"</methodResponse\s*>", text[start.start():], re.I)
    fragment = text[start.start():start.start() + end.end()] if end else text[start.start():]
    try:
        params, _ = xmlrpc.client.loads(fragment.encode("utf-8"))
    except xmlrpc.client.Fault:
        raise
    except (ExpatError, xmlrpc.client.Error, ValueError, TypeError, IndexError, OverflowError):
        raise NotAnAnswer(NOT_XML_RPC) from None
    return params[0] if params else None


def xml_characters(text):
    """`text` without what XML 1.0 cannot hold (most control characters, lone
    surrogates, U+FFFE and U+FFFF)."""
    return "".join(char for char in (text or "") if char in "\t\n\r" or (
        " " <= char <= "\ud7ff" or "\ue000" <= char <= "\ufffd" or char >= "\U00010000"))
