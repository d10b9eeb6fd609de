"""Movable Type's import/export text format: what its Export wrote and its Import
read, pings (PING) and comments (COMMENT) included.

The format, as MT wrote it:

    AUTHOR: Melody
    TITLE: A title
    STATUS: Publish
    ...header lines `KEY: value`...
    DATE: 05/28/2003 07:48:00 AM
    -----
    BODY:
    the body, any number of lines
    -----
    COMMENT:
    AUTHOR: ...
    DATE: ...
    the comment text
    -----
    --------

Entries end with a line of eight dashes, sections with a line of five. Dates are
in the blog's local time; mtpy stores UTC, so both directions convert with the
blog's offset.

`parse` is a pure function (text -> list of dicts), which
mtpy.actions.importing stores (in one transaction with what an import implies);
`export_entries` writes a blog back out in the same format.

Limits of the format itself, and what this module does about them:

- A text line that is exactly `-----` or `--------` would be read as a separator.
  MT wrote such lines unchanged and so produced files it could not read back. The
  exporter adds one space to any line made of five or eight dashes followed by
  spaces; the importer removes one space from such lines, so our own files round
  trip exactly. (A foreign file with a line `----- ` loses one trailing space.)
  For the same reason separators must be exact: `-----  ` is text, not a separator.
- A comment or ping text whose first line looks like a field (`URL: ...`) would
  be read as that field. The exporter then writes a blank line after the fields;
  the importer stops reading fields at the first blank line.
- Multi-line values lose leading and trailing blank lines (MT trimmed them too),
  and CR/CRLF become LF. Single-line values (titles, names) are trimmed, and a
  newline inside one is written as a space.
- There is no place in MT's format for a ping's moderation state, nor for a
  Pingback's or a Webmention's own fields. mtpy writes them in a section of its
  own after the ping's, written only for a ping that is held, junk, scored,
  link-back checked, or other than a TrackBack ping's mention:

      PING STATE:
      MODERATION: held            (published, held or junk)
      JUNK SCORE: 1.5
      JUNK REASON: one line a reason, repeatable
      LINK BACK: missing          (ok, missing or unreachable)
      LINK BACK REASON: words
      LINK BACK CHECKED: 2026-11-30 10:00:00   (UTC, as stored)
      PROTOCOL: webmention        (trackback, pingback or webmention)
      KIND: reply                 (mention, reply, like, repost or bookmark)
      TARGET URL: the page of ours it named
      AUTHOR NAME: who wrote it, as its source says
      AUTHOR URL: http://...
      AUTHOR PHOTO: http://...
      UPDATED: 2026-12-01 09:00:00             (UTC, as stored: when the source told us again)
      WITHDRAWN: 1                (the source is gone or no longer links: never shown)
      -----

  Readers that do not know the section skip it (MT's importer and WordPress's
  take their keys from the line's start, and none of these starts like one of
  theirs: a `STATUS:` line would change the entry's status in WordPress's); the
  ping is then a published TrackBack mention, as every ping of a file without
  the section is.
- Nor has it a place for the pages an entry has told of its links. mtpy writes
  one section of its own per page, so that an imported entry neither pings a
  TrackBack URL again nor forgets whom to tell when it is edited or deleted:

      LINK TOLD:
      PAGE: http://...            (a TrackBack URL pinged, or a page told)
      PROTOCOL: pingback          (trackback, pingback or webmention)
      ENDPOINT: http://...        (where a Pingback or Webmention was sent)
      WHEN: 2026-12-01 09:00:00   (UTC, as stored)
      -----

- The pings of category TrackBack items are not exported.
"""

import math
import re
from datetime import datetime

from mtpy import dates
from mtpy.models import KINDS, PROTOCOLS, Author, Category, Entry
from mtpy.text import web_link
from mtpy.trackback.rules import URL_LIMIT, normalize_url, url_too_long

ENTRY_END = "--------"
SECTION_END = "-----"

# Sections that hold free text (everything after the key line).
TEXT_SECTIONS = {"BODY": "body", "EXTENDED BODY": "extended",
                 "EXCERPT": "excerpt", "KEYWORDS": "keywords"}
# Sections that start with field lines and end with free text.
RECORD_SECTIONS = {
    "COMMENT": ("AUTHOR", "EMAIL", "URL", "IP", "DATE"),
    "PING": ("TITLE", "URL", "IP", "BLOG NAME", "DATE"),
}
# mtpy's own section after a ping's: its moderation state and the checks' verdict.
PING_STATE = "PING STATE"
MODERATION_VALUES = ("published", "held", "junk")     # a PING STATE section's MODERATION
LINKBACK_STATES = ("ok", "missing", "unreachable")
# The PING STATE lines of a Pingback's or Webmention's fields: key -> Ping field.
# Choices, web addresses, a stored time and a flag; the rest is one line of text.
PING_FIELD_KEYS = {"PROTOCOL": "protocol", "KIND": "kind", "TARGET URL": "target_url",
                   "AUTHOR NAME": "author_name", "AUTHOR URL": "author_url", "AUTHOR PHOTO": "author_photo",
                   "UPDATED": "updated_on", "WITHDRAWN": "withdrawn"}
PING_FIELD_CHOICES = {"protocol": PROTOCOLS, "kind": KINDS}
PING_FIELD_DEFAULTS = {"protocol": "trackback", "kind": "mention"}     # a TrackBack ping's mention
PING_FIELD_URLS = ("target_url", "author_url", "author_photo")
_STORED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# mtpy's own section per page the entry told of its link (pinged_urls, notified_links).
LINK_TOLD = "LINK TOLD"
SECTION_KEYS = set(TEXT_SECTIONS) | set(RECORD_SECTIONS) | {PING_STATE, LINK_TOLD}

# MT 3.x wrote "Future" for scheduled entries; mtpy has no scheduling, so Draft.
STATUSES = {"PUBLISH": "Publish", "DRAFT": "Draft", "FUTURE": "Draft"}
EXPORT_DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"     # MT's codes: 05/28/2003 07:48:00 AM

_KEY_LINE = re.compile(r"^\s*([^:]+?)\s*:\s*(.*?)\s*$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                   r"(?:\s*([AaPp][Mm]))?$")
# Text lines that would read as separators, with any spaces already added.
_DASH_LINE = re.compile(r"^(?:-----|--------) *$")


class ImportFormatError(ValueError):
    """Malformed import text; the message names the entry and the line."""

    def __init__(self, message, entry_number, line_number):
        ValueError.__init__(self, "Entry %d, line %d: %s" % (entry_number, line_number, message))
        self.entry_number = entry_number
        self.line_number = line_number


# -- parsing ----------------------------------------------------------------

def parse(text):
    """The entries of an MT export text, as dicts (see `_new_entry`).

    Dates are naive datetimes in the writer's local time (None when absent):
    only the caller knows which blog, hence which offset, they belong to.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    entries = []
    for chunk in _split(_numbered_lines(text), ENTRY_END):
        if any(line.strip() for _, line in chunk):
            entries.append(_parse_entry(chunk, len(entries) + 1))
    return entries


def _numbered_lines(text):
    return list(enumerate(text.split("\n"), start=1))


def _split(lines, separator):
    """Runs of (number, line) pairs between exact separator lines."""
    chunks, current = [], []
    for number, line in lines:
        if line == separator:
            chunks.append(current)
            current = []
        else:
            current.append((number, line))
    chunks.append(current)
    return chunks


def _new_entry(number, line):
    return {
        "number": number, "line": line,
        "author": None, "title": "", "basename": "",
        "status": None, "allow_comments": None, "allow_pings": None,
        "convert_breaks": None, "primary_category": None, "categories": [],
        "date": None,
        "body": "", "extended": "", "excerpt": "", "keywords": "",
        "comments": [], "pings": [],
        "pinged_urls": [], "notified_links": {},
    }


def _parse_entry(chunk, number):
    sections = [section for section in _split(chunk, SECTION_END) if _strip_blank(section)]
    entry = _new_entry(number, _strip_blank(chunk)[0][0])
    # The first section is the header, unless a writer left it out altogether.
    if sections and _section_key(sections[0]) is None:
        _parse_header(entry, sections.pop(0))
    for section in sections:
        _parse_section(entry, section)
    return entry


def _strip_blank(lines):
    """The lines without leading and trailing blank ones."""
    start, end = 0, len(lines)
    while start < end and not lines[start][1].strip():
        start += 1
    while end > start and not lines[end - 1][1].strip():
        end -= 1
    return lines[start:end]


def _section_key(section):
    """(KEY, rest of the key line) when the section starts with a known key."""
    first = _strip_blank(section)[0][1]
    match = _KEY_LINE.match(first)
    if match and match.group(1).upper() in SECTION_KEYS:
        return match.group(1).upper(), match.group(2)
    return None


def _parse_header(entry, lines):
    fail = _failer(entry["number"])
    for number, line in lines:
        match = _KEY_LINE.match(line)
        if not match or not match.group(2):
            continue  # MT skipped blank and stray lines; an empty value means "not given"
        key, value = match.group(1).upper(), match.group(2)
        if key == "AUTHOR":
            entry["author"] = value
        elif key in ("TITLE", "BASENAME"):
            entry[key.lower()] = value
        elif key == "STATUS":
            if value.upper() not in STATUSES:
                fail(number, "unknown STATUS %r (expected Publish or Draft)" % value)
            entry["status"] = STATUSES[value.upper()]
        elif key == "ALLOW COMMENTS":
            # MT 2.x had 2 for "closed": old comments shown, no new ones.
            entry["allow_comments"] = _flag(value, ("0", "1", "2"), key, number, fail) == "1"
        elif key == "ALLOW PINGS":
            entry["allow_pings"] = _flag(value, ("0", "1"), key, number, fail) == "1"
        elif key == "CONVERT BREAKS":
            entry["convert_breaks"] = value  # also filter names: markdown, textile_2...
        elif key == "PRIMARY CATEGORY":
            entry["primary_category"] = value
        elif key == "CATEGORY":
            entry["categories"].append(value)
        elif key == "DATE":
            entry["date"] = _parse_date(value, number, fail)
        # Other keys (NO ENTRY, TAGS, later MT's fields) are ignored, as MT did
        # with keys it did not know.
    entry["categories"] = _unique([entry["primary_category"]] + entry["categories"])


def _flag(value, allowed, key, number, fail):
    if value not in allowed:
        fail(number, "%s must be %s, not %r" % (key, " or ".join(allowed), value))
    return value


def _unique(labels):
    seen, result = set(), []
    for label in labels:
        if label and label not in seen:
            seen.add(label)
            result.append(label)
    return result


def _parse_date(value, number, fail):
    """`MM/DD/YYYY hh:mm:ss AM|PM`, or 24-hour without AM/PM; seconds optional."""
    match = _DATE.match(value)
    if not match:
        fail(number, "bad DATE %r (expected MM/DD/YYYY hh:mm:ss AM|PM)" % value)
    month, day, year, hour, minute, second, half = match.groups()
    hour = int(hour)
    if half:
        if not 1 <= hour <= 12:
            fail(number, "bad DATE %r (hour must be 1 to 12 with AM/PM)" % value)
        hour = hour % 12 + (12 if half.upper() == "PM" else 0)
    try:
        return datetime(int(year), int(month), int(day), hour, int(minute), int(second or 0))
    except ValueError as error:
        fail(number, "bad DATE %r (%s)" % (value, error))


def _failer(entry_number):
    def fail(line_number, message):
        raise ImportFormatError(message, entry_number, line_number)
    return fail


def _parse_section(entry, section):
    found = _section_key(section)
    if found is None:
        return  # a section MT did not write; nothing to keep
    key, rest = found
    lines = _strip_blank(section)
    key_line = lines[0][0]
    # Text may start on the key line itself ("KEYWORDS: a b"); MT allowed that.
    if rest:
        lines = [(lines[0][0], rest)] + lines[1:]
    else:
        lines = lines[1:]
    if key in TEXT_SECTIONS:
        entry[TEXT_SECTIONS[key]] = _text(lines)
        return
    if key == PING_STATE:
        if not entry["pings"]:
            raise ImportFormatError("PING STATE without a PING before it", entry["number"], key_line)
        entry["pings"][-1]["state"] = _parse_ping_state(lines, entry["number"])
        return
    if key == LINK_TOLD:
        _parse_link_told(entry, lines)
        return
    fields, text, field_lines = _parse_record(lines, RECORD_SECTIONS[key], entry["number"])
    if key == "COMMENT":
        fields["text"] = text
        entry["comments"].append(fields)
    else:
        fields["url"] = _source_url(fields["url"], entry["number"], field_lines.get("url", key_line))
        fields["excerpt"] = text
        entry["pings"].append(fields)


def _source_url(raw, entry_number, line_number):
    """A ping's URL as a received ping's is checked and stored (mtpy.trackback.rules):
    an imported ping links from the weblog's pages and feeds just the same."""
    url = normalize_url(raw) if raw and not url_too_long(raw) else None
    if url is None:
        raise ImportFormatError("a PING needs an http or https URL of at most %d characters, as a received ping "
                                "does: not %r" % (URL_LIMIT, _shortened(raw)), entry_number, line_number)
    return url


def _shortened(text):
    return text if len(text) <= 80 else text[:77] + "..."


def _parse_record(lines, names, entry_number):
    """The field lines at the top of a COMMENT/PING section, then its text,
    and the number of each field's line.

    Fields are matched in upper case only, as MT wrote them, so that text
    starting with "Url: ..." stays text. A blank line ends the fields.
    """
    fields = {name.lower().replace(" ", "_"): "" for name in names}
    fields["date"] = None
    field_lines = {}
    index = 0
    while index < len(lines):
        number, line = lines[index]
        key, _, value = line.partition(":")
        if not line.strip() or key.strip() not in names:
            break
        name = key.strip().lower().replace(" ", "_")
        value = value.strip()
        field_lines[name] = number
        if name == "date":
            fields["date"] = _parse_date(value, number, _failer(entry_number)) if value else None
        else:
            fields[name] = value
        index += 1
    return fields, _text(lines[index:]), field_lines


def _parse_ping_state(lines, entry_number):
    """A PING STATE section's fields: {"moderation", "junk_score",
    "junk_reasons", "linkback", "fields": {Ping field: value} of
    PING_FIELD_KEYS}. Lines of other keys are skipped."""
    fail = _failer(entry_number)
    state = {"moderation": "published", "junk_score": 0.0, "junk_reasons": [], "linkback": {}, "fields": {}}
    linkback = {}
    for number, line in lines:
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "MODERATION":
            if value.lower() not in MODERATION_VALUES:
                fail(number, "unknown MODERATION %r (expected %s)" % (value, ", ".join(MODERATION_VALUES)))
            state["moderation"] = value.lower()
        elif key == "JUNK SCORE":
            try:
                state["junk_score"] = float(value)
            except ValueError:
                state["junk_score"] = float("nan")
            if not math.isfinite(state["junk_score"]):
                fail(number, "bad JUNK SCORE %r (expected a number)" % value)
        elif key == "JUNK REASON" and value:
            state["junk_reasons"].append(value)
        elif key == "LINK BACK":
            if value.lower() not in LINKBACK_STATES:
                fail(number, "unknown LINK BACK %r (expected %s)" % (value, ", ".join(LINKBACK_STATES)))
            linkback["state"] = value.lower()
        elif key == "LINK BACK REASON":
            linkback["reason"] = value
        elif key == "LINK BACK CHECKED":
            linkback["when"] = value
        elif key in PING_FIELD_KEYS:
            state["fields"][PING_FIELD_KEYS[key]] = _ping_field(key, value, number, fail)
    if linkback:
        if "state" not in linkback:
            fail(lines[0][0] if lines else 0, "LINK BACK REASON or CHECKED without LINK BACK")
        state["linkback"] = dict({"reason": "", "when": ""}, **linkback)
    return state


def _parse_link_told(entry, lines):
    """A LINK TOLD section: a TrackBack URL joins the entry's pinged URLs, a
    page told by Pingback or Webmention its notified links."""
    fail = _failer(entry["number"])
    told = {}
    for number, line in lines:
        key, _, value = line.partition(":")
        told[key.strip()] = (number, value.strip())
    first = lines[0][0] if lines else 0
    number, page = told.get("PAGE", (first, ""))
    if not web_link(page) or url_too_long(page):
        fail(number, "a LINK TOLD needs a PAGE that is an http or https URL of at most %d characters: not %r"
             % (URL_LIMIT, _shortened(page)))
    number, protocol = told.get("PROTOCOL", (first, "trackback"))
    if protocol.lower() not in PROTOCOLS:
        fail(number, "unknown PROTOCOL %r (expected %s)" % (protocol, ", ".join(PROTOCOLS)))
    protocol = protocol.lower()
    if protocol == "trackback":
        if page not in entry["pinged_urls"]:
            entry["pinged_urls"].append(page)
        return
    number, endpoint = told.get("ENDPOINT", (first, ""))
    if endpoint and (not web_link(endpoint) or url_too_long(endpoint)):
        fail(number, "ENDPOINT must be an http or https URL of at most %d characters: not %r"
             % (URL_LIMIT, _shortened(endpoint)))
    number, when = told.get("WHEN", (first, ""))
    if when and not _STORED_TIME.match(when):
        fail(number, "bad WHEN %r (expected YYYY-MM-DD hh:mm:ss, UTC)" % when)
    entry["notified_links"][page] = {"protocol": protocol, "endpoint": endpoint, "when": when}


def _ping_field(key, value, number, fail):
    """A Pingback's or Webmention's field from its PING STATE line, checked."""
    name = PING_FIELD_KEYS[key]
    if name in PING_FIELD_CHOICES:
        if value.lower() not in PING_FIELD_CHOICES[name]:
            fail(number, "unknown %s %r (expected %s)" % (key, value, ", ".join(PING_FIELD_CHOICES[name])))
        return value.lower()
    if name in PING_FIELD_URLS and value and (not web_link(value) or url_too_long(value)):
        fail(number, "%s must be an http or https URL of at most %d characters: not %r"
             % (key, URL_LIMIT, _shortened(value)))
    if name == "updated_on" and value and not _STORED_TIME.match(value):
        fail(number, "bad UPDATED %r (expected YYYY-MM-DD hh:mm:ss, UTC)" % value)
    if name == "withdrawn":
        return _flag(value, ("0", "1"), key, number, fail) == "1"
    return value


def _text(lines):
    """Free text: blank edges dropped, our dash-line escape undone."""
    return "\n".join(_unprotect(line) for _, line in _strip_blank(lines))


def _unprotect(line):
    return line[:-1] if _DASH_LINE.match(line) and line.endswith(" ") else line


# -- importing --------------------------------------------------------------

# -- exporting --------------------------------------------------------------

def export_entries(store, blog):
    """Every entry of the blog, oldest first, in MT's format (LF line endings).

    It is a backup: drafts, comments, held and junk pings are included, with
    each ping's state.
    """
    entries = store.find(Entry, blog_id=blog.id, order_by="created_on")
    entries.sort(key=lambda entry: (entry.created_on, entry.id))
    timezone = blog.timezone or 0.0
    return "".join(_export_entry(store, entry, timezone) for entry in entries)


def _export_entry(store, entry, timezone):
    out = []
    author = store.get(Author, entry.author_id) if entry.author_id is not None else None
    if author is not None:
        out.append(_field("AUTHOR", author.name))
    out.append(_field("TITLE", entry.title))
    out.append(_field("BASENAME", entry.basename))
    out.append(_field("STATUS", entry.status))
    out.append(_field("ALLOW COMMENTS", "1" if entry.allow_comments else "0"))
    out.append(_field("ALLOW PINGS", "1" if entry.allow_pings else "0"))
    out.append(_field("CONVERT BREAKS", entry.convert_breaks))
    labels = _category_labels(store, entry)
    if labels:
        out.append(_field("PRIMARY CATEGORY", labels[0]))
        out.extend(_field("CATEGORY", label) for label in labels)
    if entry.created_on:
        out.append(_field("DATE", _local_date(entry.created_on, timezone)))
    out.append(SECTION_END + "\n")
    for key, name in (("BODY", "body"), ("EXTENDED BODY", "extended"),
                      ("EXCERPT", "excerpt"), ("KEYWORDS", "keywords")):
        out.append("%s:\n%s\n%s\n" % (key, _protect(getattr(entry, name)), SECTION_END))
    for comment in entry.comments:
        out.append(_export_comment(comment, timezone))
    item = store.trackback_for(entry=entry)
    if item is not None:
        for ping in store.list_pings(tb_id=item.id, visible_only=False):
            out.append(_export_ping(ping, timezone))
    out.extend(_export_links_told(entry))
    out.append(ENTRY_END + "\n")
    return "".join(out)


def _category_labels(store, entry):
    labels = []
    for category_id in entry.category_ids:
        category = store.get(Category, category_id)
        if category is not None:  # a deleted category is simply left out
            labels.append(category.label)
    return _unique(labels)


def _export_comment(comment, timezone):
    fields = [("AUTHOR", comment.get("author", "")), ("EMAIL", comment.get("email", "")),
              ("URL", comment.get("url", "")), ("IP", comment.get("ip", "")),
              ("DATE", _local_date(comment.get("date", ""), timezone))]
    return _record_section("COMMENT", fields, comment.get("text", ""))


def _export_links_told(entry):
    """A LINK TOLD section per TrackBack URL pinged and per page told."""
    told = [(url, "trackback", "", "") for url in entry.pinged_urls or []]
    told += [(page, link.get("protocol", ""), link.get("endpoint", ""), link.get("when", ""))
             for page, link in sorted((entry.notified_links or {}).items())]
    return ["".join([LINK_TOLD + ":\n", _field("PAGE", page), _field("PROTOCOL", protocol)]
                    + [_field(key, value) for key, value in (("ENDPOINT", endpoint), ("WHEN", when)) if value])
            + SECTION_END + "\n" for page, protocol, endpoint, when in told]


def _export_ping(ping, timezone):
    fields = [("TITLE", ping.title), ("URL", ping.source_url), ("IP", ping.ip),
              ("BLOG NAME", ping.blog_name), ("DATE", _local_date(ping.created_on, timezone))]
    return _record_section("PING", fields, ping.excerpt) + _export_ping_state(ping)


def _export_ping_state(ping):
    """The PING STATE section of a ping that is not simply published ("" for one that is)."""
    from mtpy.junk import ping_state
    moderation = ping_state(ping)
    fields = _ping_fields(ping)
    if moderation == "published" and not (ping.junk_score or ping.junk_reasons or ping.linkback or fields):
        return ""
    lines = [PING_STATE + ":\n", _field("MODERATION", moderation)]
    if ping.junk_score:
        lines.append(_field("JUNK SCORE", "%g" % ping.junk_score))
    lines.extend(_field("JUNK REASON", reason) for reason in ping.junk_reasons or [] if str(reason).strip())
    linkback = ping.linkback or {}
    if linkback:
        lines.append(_field("LINK BACK", linkback.get("state", "")))
        for key, name in (("LINK BACK REASON", "reason"), ("LINK BACK CHECKED", "when")):
            if linkback.get(name):
                lines.append(_field(key, linkback[name]))
    lines.extend(_field(key, value) for key, value in fields)
    return "".join(lines) + SECTION_END + "\n"


def _ping_fields(ping):
    """[(PING STATE key, value)] of the ping's fields other than a TrackBack
    ping's mention has (none for one)."""
    fields = []
    for key, name in PING_FIELD_KEYS.items():
        value = getattr(ping, name)
        if value and value != PING_FIELD_DEFAULTS.get(name):
            fields.append((key, "1" if value is True else value))
    return fields


def _record_section(key, fields, text):
    names = RECORD_SECTIONS[key]
    lines = [key + ":\n"] + [_field(name, value) for name, value in fields if value]
    text = _protect(text)
    first = text.split("\n", 1)[0]
    if first.partition(":")[0].strip() in names:
        lines.append("\n")  # else the text's first line would be read as a field
    lines.append("%s\n%s\n" % (text, SECTION_END))
    return "".join(lines)


def _field(key, value):
    """A `KEY: value` line; a value must not spill onto a second line."""
    value = " ".join(str(value or "").splitlines()).strip()
    return ("%s: %s\n" % (key, value)) if value else ("%s:\n" % key)


def _protect(text):
    """Text as lines MT's reader cannot mistake for separators (see the top)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line + " " if _DASH_LINE.match(line) else line
                     for line in text.split("\n"))


def _local_date(stored, timezone):
    """A stored UTC time as MT wrote dates: 05/28/2003 07:48:00 AM, local time."""
    return dates.format_date(stored, timezone, EXPORT_DATE_FORMAT)
