"""Reading the reply a receiver gives to a TrackBack ping we sent.

Receivers answer carelessly: warnings printed before the document, a prolog
declaring a charset the bytes are not in, a `<message>` with a bare `&` or `<`
(WordPress never escaped it), extra elements after `<error>`, an HTML error page
instead of XML. So the `<response>` element is cut out of whatever surrounds it
and read with the XML parser, or, when it is not well-formed, by matching its
`<error>` and `<message>`. Safely: a document declaring a DTD or entities is
refused before any parser sees it, and the size is bounded.
"""

REPLY_MAX_BYTES = 64 * 1024
MESSAGE_MAX_CHARS = 300


def read_reply(body, status, content_type="", reason=None):
    """(ok, message) for an answer: `body` (bytes or text), the HTTP `status`
    (int), its Content-Type header and, when known, the server's reason phrase.

    ok needs a 2xx status and `<error>0</error>`. message is the receiver's
    `<message>` (or "" on a success without one), else why the ping failed, in
    words: "HTTP 500 Internal Server Error", "the answer is empty", "the answer
    is not a TrackBack response: an HTML page titled '...'"..."""
    status_line = _status_line(status, reason)
    if len(body) > REPLY_MAX_BYTES:
        return False, "the answer is larger than %d bytes" % REPLY_MAX_BYTES
    text = _decode(body, content_type).strip()
    successful_status = 200 <= status < 300
    if not text:
        return False, status_line if not successful_status else "the answer is empty"
    lowered = text.lower()
    start = lowered.find("<response")
    if start < 0:
        if not successful_status:
            return False, status_line
        return False, "the answer is not a TrackBack response: %s" % _describe(text)
    if "<!doctype" in lowered or "<!entity" in lowered:
        return False, "the answer declares a DTD"
    found = _read_response(text[start:])
    if found is None:
        if not successful_status:
            return False, status_line
        return False, "the answer is not a TrackBack response: it has no <error> element"
    error, message = found
    if not successful_status:
        return False, "%s: %s" % (status_line, message) if message else status_line
    if error == "0":
        return True, message
    return False, message or "the receiver answered <error>%s</error> without a message" % (
        clean_message(error)[:20])


def _read_response(fragment):
    """(error, message) of the text starting at `<response`, or None without an
    `<error>` element."""
    import re
    end = re.search(r"</response\s*>", fragment, re.I)
    if end:
        fragment = fragment[:end.end()]
        parsed = _parse_xml(fragment)
        if parsed is not None:
            return parsed
    # Not well-formed (or cut short): the elements by pattern, entities as HTML's.
    import html
    error = re.search(r"<error\b[^>]*>([^<]*)</error\s*>", fragment, re.I)
    if not error:
        return None
    message = re.search(r"<message\b[^>]*>(.*?)</message\s*>", fragment, re.I | re.S)
    message_text = ""
    if message:
        message_text = clean_message(html.unescape(re.sub(r"<[^>]*>", "", message.group(1))))
    return error.group(1).strip(), message_text


def _parse_xml(fragment):
    """(error, message) from the XML parser, or None when it cannot read it."""
    from xml.etree import ElementTree
    try:
        root = ElementTree.fromstring(fragment)
        elements = {}
        for element in root.iter():
            elements.setdefault(_local_name(element.tag), element)
        error = elements.get("error")
        if error is None:
            return None
        message = elements.get("message")
        message_text = clean_message("".join(message.itertext())) if message is not None else ""
        return (error.text or "").strip(), message_text
    except (ElementTree.ParseError, RecursionError, ValueError):
        return None


def _local_name(tag):
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _decode(body, content_type):
    if isinstance(body, str):
        return body.lstrip("\ufeff")
    from mtpy.outbound import decode_body
    return decode_body(body, content_type)


def _describe(text):
    """What a non-TrackBack answer looks like, for the user: an HTML page (with
    its title) or its first words."""
    import re
    import html
    lowered = text[:4096].lower()
    if "<html" in lowered or "<!doctype html" in lowered or "<body" in lowered or "<title" in lowered:
        title = re.search(r"<title[^>]*>(.*?)</title", text, re.I | re.S)
        title_text = clean_message(html.unescape(title.group(1)))[:80] if title else ""
        return "an HTML page titled '%s'" % title_text if title_text else "an HTML page"
    return "it begins '%s'" % clean_message(text[:60])


def clean_message(text):
    """One line of printable text, shortened: it is shown to the user."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    if len(text) > MESSAGE_MAX_CHARS:
        text = text[:MESSAGE_MAX_CHARS - 3] + "..."
    return text


def _status_line(status, reason):
    """'HTTP 500 Internal Server Error': the server's reason phrase, or the
    standard one."""
    if not reason:
        from http import HTTPStatus
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return ("HTTP %d %s" % (status, clean_message(reason)[:60])).strip()
