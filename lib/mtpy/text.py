"""Escaping and the plain-text view of untrusted text.

Ping fields are kept as received. Wherever they are shown as HTML they go through
`plain_text` (tags removed, character references decoded) and then `escape_html`,
so `It&#8217;s` reads It's and `<script>` never runs (reference §2).
"""

import re

_TAG = re.compile(r"<!--.*?-->|<[^>]*>?", re.S)
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


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
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def remove_tags(text):
    return _TAG.sub("", text)


def plain_text(text):
    """The text a reader should see: tags removed, references decoded."""
    import html
    return html.unescape(remove_tags(text or ""))


def collapse_space(text):
    return _SPACE.sub(" ", text).strip()


def first_words(text, count):
    return " ".join(text.split()[:count])


def squeeze_dashes(text):
    """An HTML comment cannot hold `--`: squeeze runs of dashes to one."""
    return re.sub(r"-{2,}", "-", text)


def header_safe(text):
    """One line: for mail headers and anything else line-based."""
    return collapse_space(_CONTROL.sub(" ", text.replace("\r", " ").replace("\n", " ")))
