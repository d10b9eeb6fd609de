"""The field rules of a received ping (MT 2.6's), and IP bans, on their own."""

import pytest

from mtpy.addresses import ban_problem, ip_is_banned

from mtpy.trackback.rules import crop_excerpt, normalize_url, ping_fields


@pytest.mark.parametrize("raw, expected", [
    ("http://example.com/a", "http://example.com/a"),
    ("  https://example.com/a?b=c#d  ", "https://example.com/a?b=c#d"),
    ("HTTP://Example.com/", "http://Example.com/"),
    ("http;//example.com/x", "http://example.com/x"),
    ("http//example.com/x", "http://example.com/x"),
    ("https;//example.com/x", "https://example.com/x"),
    ("www.example.com/x", "http://www.example.com/x"),
    ("example.com:8080/x", "http://example.com:8080/x"),
    ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    ("javascript:alert(1)", None), ("data:text/html,x", None), ("ftp://example.com/", None),
    ("mailto:a@example.com", None), ("http://", None), ("http:///x", None),
    ('http://example.com/"x', None), ("http://exa mple.com/", None), ("http://example.com/\x00", None),
])
def test_normalize_url(raw, expected):
    assert normalize_url(raw) == expected


@pytest.mark.parametrize("ip, bans, banned", [
    ("192.168.1.5", ["192.168."], True),
    ("192.168.1.5", ["192.168.1.5"], True),
    ("192.168.1.50", ["192.168.1.5"], False),       # exact, never a prefix
    ("192.168.1.5", ["192.168.1.5."], False),
    ("10.1.2.3", ["10.0.0.0/8"], True),
    ("11.1.2.3", ["10.0.0.0/8"], False),
    ("1x2.168.1.5", ["1.2.168"], False),           # never a regular expression
    ("192.168.1.5", ["192.168.1.*"], False),
    ("2001:db8::7", ["2001:db8::/32"], True),
    ("2001:db9::7", ["2001:db8::/32"], False),
    ("2001:db8:0:0::7", ["2001:db8::7"], True),      # one address, two spellings
    ("2001:db8::7", ["2001:db8:"], True),
    ("2001:db8:0:1::5", ["2001:db8::"], True),        # a prefix stored by an older release: its network
    ("2001:db9::5", ["2001:db8::"], False),
    ("::1", ["127.0.0.0/8"], False),
    ("not an ip", ["10.0.0.0/8", "::1"], False),
])
def test_ip_bans(ip, bans, banned):
    assert ip_is_banned(ip, bans) is banned


def test_ban_problem():
    assert not any(ban_problem(b) for b in ("1.2.3.4", "192.168.", "10.0.0.0/8", "2001:db8::/32", "::1"))
    assert all(ban_problem(b) for b in ("", "192.168.*", "10.0.0.0/33", "host.example", "1.2.3", ".", "256.",
                                        "2001:db8::", "2001:db8:"))


def test_excerpt_crop_counts_characters():
    assert crop_excerpt("é" * 255) == "é" * 255
    assert crop_excerpt("é" * 256) == "é" * 252 + "..."


def test_title_rules():
    assert ping_fields({"url": "http://u/", "excerpt": "<p>one two three four five six</p>"})["title"] == \
        "one two three four five"
    assert ping_fields({"url": "http://u/", "title": "  "})["title"] == "http://u/"
    assert ping_fields({"url": "http://u/"})["title"] == "http://u/"
    assert ping_fields({"url": "http://u/", "title": "a\x00b\x1bc\r\nd"})["title"] == "abc\nd"


def test_remove_tags_is_the_tag_pattern_without_re():
    """remove_tags avoids `re` on the ping path; it must remove exactly what the
    pattern `<!--.*?-->|<[^>]*>?` (comments, tags, an unclosed tag to the end) does."""
    import random
    import re
    from mtpy.text import remove_tags
    pattern = re.compile(r"<!--.*?-->|<[^>]*>?", re.S)
    chosen = random.Random(1)
    for _ in range(20000):
        text = "".join(chosen.choice("<>!-a /\n&") for _ in range(chosen.randint(0, 14)))
        assert remove_tags(text) == pattern.sub("", text), repr(text)
