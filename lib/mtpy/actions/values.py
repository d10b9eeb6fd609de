"""Checks of typed-in values that more than one action makes."""

from mtpy.actions import ActionError


def web_url(text, field):
    """An http(s) URL with a host, or ActionError naming `field`."""
    from urllib.parse import urlsplit
    text = (text or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname \
            or any(char.isspace() for char in text):
        raise ActionError("Not an http:// or https:// URL: %r" % text, field)
    return text


# What could end the attribute a template prints a weblog's URL into, raw
# (<a href="<$MTBlogURL$>">): never needed unencoded in a URL.
_ENDS_AN_ATTRIBUTE = frozenset('"\'<>`\\')


def page_url(text, field):
    """web_url, for a URL the weblog's pages print raw (its site and archive
    URLs): quotes, < > ` and backslashes refused, as a settings author could
    otherwise end the attribute and add a script."""
    text = web_url(text, field)
    if any(char in _ENDS_AN_ATTRIBUTE for char in text):
        raise ActionError("This URL cannot hold quotes, < > ` or \\ (write them %%-encoded, like %%22): %r"
                          % text, field)
    return text


def url_list(value, field):
    """URLs given one per line or separated by spaces (a URL holds none), or
    as a list: each checked."""
    words = value.split() if isinstance(value, str) else list(value or [])
    return [web_url(word, field) for word in words if word.strip()]


def flag(value):
    """A checkbox or 0/1 as True or False."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "on", "yes", "true")
    return bool(value)


def unknown_fields(values, known):
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ActionError("Unknown field(s): %s" % ", ".join(unknown), unknown[0])
