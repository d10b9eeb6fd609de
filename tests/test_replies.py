"""mtpy.trackback.replies.read_reply: the answers receivers really give, read
tolerantly but safely."""

import pytest

from mtpy.trackback import envelope
from mtpy.trackback.replies import REPLY_MAX_BYTES, read_reply

XML = "text/xml; charset=utf-8"
# What the listener that captured tests/data/samples/ answered; MT 5.2 and
# WordPress 6.1 both recorded it as a success (samples/README.md).
CAPTURE_SUCCESS = b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>\n'


def test_the_success_the_captured_senders_accepted():
    assert read_reply(CAPTURE_SUCCESS, 200, XML) == (True, "")


def test_mtpys_own_answers():
    assert read_reply(envelope.success().encode(), 200, envelope.CONTENT_TYPE) == (True, "")
    assert read_reply(envelope.error("Invalid TrackBack ID '<9>' & co").encode(), 200,
                       envelope.CONTENT_TYPE) == (False, "Invalid TrackBack ID '<9>' & co")


@pytest.mark.parametrize("body", [
    # MT 2.x/3.1: iso-8859-1 in the prolog whatever the bytes
    b'<?xml version="1.0" encoding="iso-8859-1"?>\n<response>\n<error>0</error>\n</response>\n',
    # MT's __mode=rss: the listing follows <error>
    b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n'
    b'<rss version="0.91"><channel>\n<title>An entry</title>\n<link>http://x/</link>\n'
    b'<item><title>A ping</title><link>http://y/</link></item>\n</channel>\n</rss>\n</response>\n',
    # WordPress: no newline at the end
    b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>',
    # no prolog, whitespace around the 0
    b"<response><error>\n 0 \n</error></response>",
    # PHP warnings printed before the document, an analytics snippet after it
    b"<br />\n<b>Deprecated</b>:  Function x() is deprecated in <b>/var/www/wp.php</b><br />\n"
    b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>\n'
    b"<script>track()</script>",
    # a byte-order mark, CRLFs, extra elements before and after
    b'\xef\xbb\xbf<?xml version="1.0"?>\r\n<response>\r\n<status>fine</status>\r\n<error>0</error>\r\n'
    b"<message>Thanks for the ping</message>\r\n<extra/>\r\n</response>\r\n",
])
def test_success_variants(body):
    ok, message = read_reply(body, 200, XML)
    assert ok is True
    assert message in ("", "Thanks for the ping")


def test_a_success_keeps_the_receivers_message():
    assert read_reply(b"<response><error>0</error><message>Ping saved, thanks</message></response>",
                       200, XML) == (True, "Ping saved, thanks")


@pytest.mark.parametrize("body, message", [
    # MT: escaped
    (b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>1</error>\n'
     b"<message>Invalid TrackBack ID &apos;&lt;9&gt;&apos;</message>\n</response>\n",
     "Invalid TrackBack ID '<9>'"),
    # WordPress: its messages, unescaped
    (b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>1</error>\n'
     b"<message>We already have a ping from that URL for this post.</message>\n</response>",
     "We already have a ping from that URL for this post."),
    (b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>1</error>\n'
     b"<message>Sorry, trackbacks are closed for this item.</message>\n</response>",
     "Sorry, trackbacks are closed for this item."),
    # not well-formed: a bare & and < in the message (WordPress, Pyblosxom)
    (b"<response><error>1</error><message>Spam & eggs <3 rejected</message></response>",
     "Spam & eggs"),
    # markup inside the message is read as its text
    (b"<response><error>1</error><message>Go <b>away</b> &amp; stay</message></response>",
     "Go away & stay"),
    # an error with no message
    (b"<response><error>1</error></response>", "the receiver answered <error>1</error> without a message"),
    (b"<response><error>yes</error></response>", "the receiver answered <error>yes</error> without a message"),
])
def test_errors_give_the_receivers_message(body, message):
    ok, said = read_reply(body, 200, XML)
    assert ok is False and said.startswith(message)


def test_a_shift_jis_answer_from_mt():
    body = ('<?xml version="1.0" encoding="Shift_JIS"?>\n<response>\n<error>1</error>\n'
            "<message>このエントリーにはトラックバックできません</message>\n</response>\n").encode("shift_jis")
    assert read_reply(body, 200, "text/xml") == (False, "このエントリーにはトラックバックできません")
    # the header's charset wins over the prolog
    assert read_reply(body, 200, "text/xml; charset=Shift_JIS")[1] == "このエントリーにはトラックバックできません"
    # PHP's warnings before the prolog do not hide it
    assert read_reply(b"Notice: x<br>\n" + body, 200, "text/xml")[1] == "このエントリーにはトラックバックできません"
    # and text needs no decoding
    assert read_reply(body.decode("shift_jis"), 200, "text/xml")[0] is False


@pytest.mark.parametrize("status, body, message", [
    (500, b"<html><head><title>Internal Server Error</title></head><body>oops</body></html>",
     "HTTP 500 Internal Server Error"),
    (404, b"", "HTTP 404 Not Found"),
    (502, b"Bad gateway", "HTTP 502 Bad Gateway"),
    # a non-2xx status is a failure even with <error>0</error>
    (404, CAPTURE_SUCCESS, "HTTP 404 Not Found"),
    (301, CAPTURE_SUCCESS, "HTTP 301 Moved Permanently"),
    # MT's throttle: 403 with a message
    (403, b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>1</error>\n'
          b"<message>You are pinging trackbacks too quickly. Please try again later.</message>\n</response>\n",
     "HTTP 403 Forbidden: You are pinging trackbacks too quickly. Please try again later."),
])
def test_non_2xx_is_a_failure(status, body, message):
    assert read_reply(body, status, XML) == (False, message)


def test_the_servers_reason_phrase_when_given():
    assert read_reply(b"", 599, "", reason="Custom Trouble") == (False, "HTTP 599 Custom Trouble")
    assert read_reply(b"", 599, "") == (False, "HTTP 599")


@pytest.mark.parametrize("body, message", [
    (b"<!DOCTYPE html>\n<html><head><title>  Page &amp; not\n found </title></head><body>x</body></html>",
     "the answer is not a TrackBack response: an HTML page titled 'Page & not found'"),
    (b"<html><body>Welcome to nginx</body></html>",
     "the answer is not a TrackBack response: an HTML page"),
    (b"OK", "the answer is not a TrackBack response: it begins 'OK'"),
    (b"\x00\x01\xff\xfegarbage", "the answer is not a TrackBack response: it begins"),
    (b'{"error": 0}', "the answer is not a TrackBack response: it begins '{\"error\": 0}'"),
    (b"<response><status>ok</status></response>",
     "the answer is not a TrackBack response: it has no <error> element"),
    (b"", "the answer is empty"),
    (b"  \r\n\t ", "the answer is empty"),
])
def test_what_is_not_a_trackback_answer(body, message):
    ok, said = read_reply(body, 200, "text/html")
    assert ok is False and said.startswith(message)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE response [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<response><error>0</error><message>&lol9;</message></response>
"""


@pytest.mark.parametrize("body", [
    BILLION_LAUGHS,
    b'<?xml version="1.0"?>\n<!DOCTYPE response SYSTEM "file:///etc/passwd">\n'
    b"<response><error>0</error></response>",
    b'<?xml version="1.0"?>\n<!doctype response [<!entity x SYSTEM "http://127.0.0.1/x">]>'
    b"<response><error>0</error><message>&x;</message></response>",
    # declared after the element: still refused
    b"<response><error>0</error></response><!ENTITY x 'y'>",
])
def test_dtds_and_entities_are_refused(body):
    assert read_reply(body, 200, XML) == (False, "the answer declares a DTD")


def test_an_undeclared_entity_is_not_expanded():
    ok, message = read_reply(b"<response><error>1</error><message>a &lol9; b</message></response>",
                              200, XML)
    assert ok is False and "lol" in message and len(message) < 40


def test_the_size_is_bounded():
    big = b"<response><error>0</error><message>" + b"x" * REPLY_MAX_BYTES + b"</message></response>"
    assert read_reply(big, 200, XML) == (False, "the answer is larger than %d bytes" % REPLY_MAX_BYTES)


def test_a_message_is_one_short_printable_line():
    body = b"<response><error>1</error><message>line one\n\x1b[31mline two\t" + b"y" * 1000 + \
        b"</message></response>"
    ok, message = read_reply(body, 200, XML)
    assert ok is False and message.startswith("line one [31mline two yyy")
    assert message.endswith("...") and len(message) == 300 and message.isprintable()


def test_deep_nesting_does_not_break_the_reader():
    body = b"<response><error>1</error><message>" + b"<a>" * 5000 + b"deep" + b"</a>" * 5000 + \
        b"</message></response>"
    assert read_reply(body, 200, XML) == (False, "deep")


def test_an_answer_cut_short_still_reads():
    assert read_reply(b'<?xml version="1.0"?>\n<response>\n<error>0</error>\n', 200, XML) == (True, "")
    assert read_reply(b"<response><error>1</error><message>Nope</message>", 200, XML) == (False, "Nope")
