"""A Webmention request as the receiver checks it before answering (W3C
Recommendation §3.2.1): a form POST of `source` and `target`, both absolute
http(s) URLs, not the same page. Whether the target is a page here that takes
mentions is mtpy.actions.receive.find_target's; reading the source is the
check after the answer (mtpy.actions.linkback)."""

from mtpy.urls import same_address
from mtpy.trackback.form import decode_form
from mtpy.trackback.rules import URL_LIMIT, normalize_url

FORM_TYPE = "application/x-www-form-urlencoded"


class BadRequest(Exception):
    """A request answered 400: the message says why, in words for the sender."""


def read_request(content_type, body):
    """(source, target) of a request's body, as they will be stored; raises
    BadRequest with the reason."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type and media_type != FORM_TYPE:
        raise BadRequest("Send source and target as %s (not %s)." % (FORM_TYPE, media_type[:60]))
    fields = decode_form("", body, FORM_TYPE)
    source, target = checked_url(fields, "source"), checked_url(fields, "target")
    if same_address(source, target):
        raise BadRequest("The source and the target are the same page.")
    return source, target


def checked_url(fields, name):
    """The form's `name` URL: present, absolute, http or https, well-formed."""
    url = (fields.get(name) or "").strip()
    if not url:
        raise BadRequest("Missing %s: send the URL of %s." % (
            name, "the page that links here" if name == "source" else "the page of this weblog it links to"))
    if len(url) > URL_LIMIT:
        raise BadRequest("The %s URL is longer than %d characters." % (name, URL_LIMIT))
    scheme, colon, rest = url.partition(":")
    if not colon or not scheme or not all(c.isascii() and (c.isalnum() or c in "+-.") for c in scheme):
        raise BadRequest("The %s is not an absolute URL (it must start with http:// or https://)." % name)
    if scheme.lower() not in ("http", "https"):
        raise BadRequest("The %s URL's scheme is not supported: only http and https URLs are." % name)
    normal = normalize_url(url) if rest.startswith("//") else None
    if normal is None:
        raise BadRequest("The %s is not a valid URL (a host name is needed, and no user name or password)." % name)
    return normal
