"""Escaping and the plain-text view of untrusted text.

Ping fields are kept as received. Wherever they are shown as HTML they go through
`plain_text` (tags removed, character references decoded) and then `escape_html`,
so `It&#8217;s` reads It's and `<script>` never runs: ping text is never HTML.
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
    """`<!--...-->` and `<...>` removed (to the end when unclosed); without `re`,
    whose import would cost the ping path (its title fallback) more than its work."""
    return _without_tags(text, any_tag=True)


def plain_text(text):
    """The text a reader should see: tags removed, references decoded."""
    import html
    return html.unescape(remove_tags(text or ""))


def feed_text(text):
    """The plain-text view for feeds (`ID.xml`): `plain_text`, and any tag that
    decoding made (`&lt;img onerror=...&gt;`) removed as well. Feed readers
    render descriptions as HTML after XML has decoded them once, so text that is
    inert on a page (escaped once) could come alive there.

    The ping path writes `ID.xml`: the common cases (tags, numeric references,
    `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`) are done without importing `re`
    or `html`, whose imports cost a ping process more than the rest of its work;
    other references go through html.unescape."""
    text = text or ""
    if "<" not in text and "&" not in text:
        return text
    plain = remove_tags(text)
    if "&" in plain:
        decoded = _decode_common(plain)
        plain = decoded if decoded is not None else plain_text(text)
    while "<" in plain:     # only what looks like a tag: `a < b` stays
        stripped = _without_tags(plain, any_tag=False)
        if stripped == plain:
            break
        plain = stripped
    return plain


def _without_tags(text, any_tag):
    """remove_tags; with any_tag False, only a `<` before a letter, `/`, `!` or `?`
    starts a tag."""
    parts, at = [], 0
    while True:
        start = text.find("<", at)
        if start < 0:
            break
        if not any_tag and not (text[start + 1:start + 2].isalpha() or text[start + 1:start + 2] in ("/", "!", "?")):
            parts.append(text[at:start + 1])
            at = start + 1
            continue
        parts.append(text[at:start])
        end = text.find("-->", start + 4) if any_tag and text.startswith("<!--", start) else -1
        if end >= 0:
            at = end + 3
        else:
            end = text.find(">", start + 1)
            at = end + 1 if end >= 0 else len(text)
    parts.append(text[at:])
    return "".join(parts)


_COMMON_REFERENCES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _decode_common(text):
    """Character references decoded when all are numeric (to a character HTML
    allows) or one of the XML five, each with its `;`; else None."""
    parts = text.split("&")
    out = [parts[0]]
    for part in parts[1:]:
        name, semicolon, rest = part.partition(";")
        if not semicolon or len(name) > 8:
            return None
        if name.startswith("#"):
            digits = name[2:] if name[1:2] in ("x", "X") else name[1:]
            base = 16 if name[1:2] in ("x", "X") else 10
            try:
                code = int(digits, base) if digits.isalnum() and digits.isascii() else -1
            except ValueError:
                return None
            if not (code in (9, 10, 13) or 0x20 <= code < 0x7F or 0xA0 <= code < 0xD800
                    or 0xE000 <= code < 0xFDD0 or 0xFDEF < code <= 0x10FFFF and code & 0xFFFE != 0xFFFE):
                return None
            out.append(chr(code) + rest)
        elif name in _COMMON_REFERENCES:
            out.append(_COMMON_REFERENCES[name] + rest)
        else:
            return None
    return "".join(out)


def collapse_space(text):
    return " ".join(text.split())


def first_words(text, count):
    return " ".join(text.split()[:count])


def squeeze_dashes(text):
    """An HTML comment cannot hold `--`: squeeze runs of dashes to one."""
    return _pattern("dashes", r"-{2,}").sub("-", text)


def web_link(url):
    """`url` when a browser may follow it (http or https), else "": what a page,
    a feed or a screen links to. Received pings' URLs are http(s) already; one
    stored otherwise (an old import) is shown, never linked."""
    return url if (url or "").lower().startswith(("http://", "https://")) else ""


def header_safe(text):
    """One line: for mail headers and anything else line-based."""
    return collapse_space(text.translate(dict.fromkeys(_CONTROL, " ")))


def record_id(text):
    """A record id typed in a URL or a form (`5`), or None for anything else
    (`../../etc/passwd`, `-1`, `١`, a number too large for the store)."""
    text = (text or "").strip()
    if text.isdigit() and text.isascii() and len(text) < 19:
        return int(text)
    return None


def dirify(text):
    """MT's dirify: lower case, accents and non-word characters dropped, spaces
    to underscores (category archives' file names, the `dirify` attribute)."""
    import unicodedata
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii").lower()
    text = _pattern("dirify_tags", r"<[^>]*>").sub("", text)
    text = _pattern("dirify_references", r"&[^;\s]*;").sub("", text)
    text = _pattern("dirify_symbols", r"[^\w\s-]").sub("", text)
    return _pattern("dirify_spaces", r"\s+").sub("_", text.strip())



def counted(count, singular, plural=None):
    """A count and its noun, in the number it takes: "1 file", "2 files",
    "0 entries" (`plural` for a noun that does not add "s")."""
    return "%d %s" % (count, singular if count == 1 else (plural or singular + "s"))
