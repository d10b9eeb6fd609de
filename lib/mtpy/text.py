"""Escaping and the plain-text view of untrusted text.

Ping fields are kept as received. Wherever they are shown as HTML they go through
`plain_text` (tags removed, character references decoded) and then `escape_html`,
so `It&#8217;s` reads It's and `<script>` never runs (reference §2).
"""

# No `re` at import time: the ping path uses the escapes and strip_controls only,
# and a CGI process pays for every import.
_CONTROL = dict.fromkeys(list(range(0, 9)) + list(range(11, 32)) + [127])
_patterns = {}


def _pattern(name, source):
    if name not in _patterns:
        import re
        _patterns[name] = re.compile(source, re.S)
    return _patterns[name]


# Characters XML 1.0 forbids outright: one of them (from an imported title, say)
# would make a whole feed unreadable.
_NOT_XML = dict.fromkeys([c for c in range(32) if c not in (9, 10, 13)] + [0xFFFE, 0xFFFF])


def escape_xml(text):
    """For XML text and double-quoted attribute values (MT's `& < > "`);
    characters XML cannot hold are dropped."""
    return (str(text).translate(_NOT_XML).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def escape_html(text):
    """For HTML text and attribute values, quoted either way."""
    return escape_xml(text).replace("'", "&#39;")


def strip_controls(text):
    """Remove C0 control characters except tab and newline (and CR, which
    becomes part of the newline)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROL)


def remove_tags(text):
    return _pattern("tag", r"<!--.*?-->|<[^>]*>?").sub("", text)


def plain_text(text):
    """The text a reader should see: tags removed, references decoded."""
    import html
    return html.unescape(remove_tags(text or ""))


def collapse_space(text):
    return " ".join(text.split())


def first_words(text, count):
    return " ".join(text.split()[:count])


def squeeze_dashes(text):
    """An HTML comment cannot hold `--`: squeeze runs of dashes to one."""
    return _pattern("dashes", r"-{2,}").sub("-", text)


def header_safe(text):
    """One line: for mail headers and anything else line-based."""
    return collapse_space(text.translate(dict.fromkeys(_CONTROL, " ")))
