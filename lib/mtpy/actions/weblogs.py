"""Weblogs: creating them and changing their settings."""

import os

from mtpy import junk
from mtpy.fileutil import is_inside, own_folders
from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.actions.authors import clean_unless_trusted
from mtpy.actions.values import flag, page_url, unknown_fields, url_list
from mtpy.models import Blog, Entry
from mtpy.publish import is_published

FIELDS = ("name", "description", "site_url", "site_path", "archive_url", "archive_path", "timezone",
          "email_new_pings", "allow_pings_default", "hold_over_limit", "autodiscover_links", "update_ping_urls",
          "moderate_pings", "linkback_check", "junk_words", "accept_pings", "close_pings_after_days",
          "accept_trackback", "accept_pingback", "accept_webmention", "own_links")
FLAGS = ("email_new_pings", "allow_pings_default", "hold_over_limit", "autodiscover_links", "accept_pings",
         "accept_trackback", "accept_pingback", "accept_webmention")
# What becomes of a link from a page of one of this installation's own weblogs.
OWN_LINKS = {"quiet": "Show them quietly", "normal": "Treat them like any other", "ignore": "Do not keep them"}
# The choices of the spam defences, in the words the settings screen shows.
MODERATION = {"none": "Publish pings at once", "suspicious": "Hold suspicious pings for approval",
              "all": "Hold every ping for approval"}
# What each choice does, in words (the settings screen's), from mtpy.junk's numbers.
MODERATION_DOES = {
    "none": "Every ping that is not junk is shown as soon as it arrives.",
    "suspicious": ("A ping the junk checks find something in waits for your approval: %d to %d links in its excerpt "
                   "(more are junk), or %d or more pings from one sender or one site within an hour. The others are "
                   "shown at once. New weblogs start with this, as WordPress holds a comment with two links."
                   % (junk.FREE_LINKS + 1, junk.FREE_LINKS + int(junk.JUNK_SCORE / junk.LINK_SCORE) - 1,
                      junk.FLOOD_PINGS)),
    "all": "No ping is shown until you approve it.",
}
# A new weblog's settings where its creator gives none (the model's defaults
# stay those of the weblogs made before): it tells the pages its entries link
# to, as WordPress pings, and holds suspicious pings (two links or more), as
# WordPress holds comments.
NEW_WEBLOG = {"autodiscover_links": True, "moderate_pings": "suspicious"}
LINKBACK_CHECKS = {"off": "Do not check", "hold": "Hold the ping for approval", "junk": "Mark the ping as junk"}
CHOICES = {"moderate_pings": MODERATION, "linkback_check": LINKBACK_CHECKS, "own_links": OWN_LINKS}
# Each setting as the settings screen labels it: the activity log names a
# changed setting so, in the screen's order (tests/test_words.py holds the
# screen to these words).
SETTING_LABELS = {
    "name": "Weblog name", "description": "Description", "site_url": "Weblog URL", "site_path": "Local site path",
    "archive_url": "Archive URL", "archive_path": "Local archive path", "timezone": "Time zone",
    "allow_pings_default": "Allow incoming TrackBack pings on new entries",
    "email_new_pings": "E-mail me when a new ping arrives",
    "hold_over_limit": "Hold pings beyond the weblog's limits for my approval, instead of refusing them",
    "autodiscover_links": "Tell the pages an entry links to",
    "update_ping_urls": "Notify these services of each published entry (weblogUpdates.ping)",
    "accept_trackback": "Accept TrackBack pings", "accept_pingback": "Accept Pingbacks",
    "accept_webmention": "Accept Webmentions", "own_links": "Links from this installation's own weblogs",
    "accept_pings": "Accept pings on this weblog",
    "close_pings_after_days": "Close pings on entries older than this many days",
    "moderate_pings": "New pings", "linkback_check": "Link-back check", "junk_words": "Block list",
}
# What the weblog's templates print raw: mtpy.sanitize cleans them (see
# actions.authors.clean_unless_trusted).
HTML_FIELDS = ("name", "description")
# What every page shows or where it links: a change republishes them all.
SHOWN_ON_PAGES = ("name", "description", "site_url", "archive_url", "timezone", "accept_pings",
                  "close_pings_after_days", "accept_trackback", "accept_pingback", "accept_webmention")
# Where a weblog's pages are written: only a system administrator (or the owner's
# `mtpy` command) chooses them, since publishing writes wherever they point.
FOLDERS = ("site_path", "archive_path")


def create_weblog(store, config, values, author=None, ip="", build=False):
    """A new weblog from Blog field values; the archive URL and folder are the
    site's when left empty, the settings of NEW_WEBLOG those it starts with
    unless `values` say otherwise. Refused (ActionError)
    when there are no default templates to start it from. `build`: queue its first full build (mt.cgi;
    `mtpy` leaves that to `mtpy rebuild`). Returns Done(blog, fields set, jobs)."""
    from mtpy.publish.templates import TemplateSetError, require_defaults
    try:
        require_defaults(config)      # before the weblog exists: it could never publish
    except TemplateSetError as error:
        raise ActionError(str(error))
    changes = checked_values(clean_unless_trusted(store, author, None, values, HTML_FIELDS, None))
    for field, value in NEW_WEBLOG.items():
        changes.setdefault(field, value)
    if not changes.get("archive_url"):
        changes["archive_url"] = changes.get("site_url", "")
    if not changes.get("archive_path"):
        changes["archive_path"] = changes.get("site_path", "")
    check_folders(store, config, {field: changes[field] for field in FOLDERS}, author=author)
    blog = Blog(**changes)
    job_ids = []
    with store.transaction():
        store.save(blog)
        record(store, "settings", "Created weblog %d: %s" % (blog.id, blog.name), blog.id, author, ip)
        if build and blog.site_path:
            job_ids.append(store.enqueue("rebuild_weblog", {"blog_id": blog.id, "first": 1}).id)
    return Done(blog, sorted(changes), job_ids)


def change_weblog(store, config, blog, values, author=None, ip=""):
    """Change a weblog's settings. Entries' TrackBack items follow a changed
    URL; a change of what pages show queues a full rebuild. The folders follow
    check_folders. Returns Done(blog, changed fields, jobs)."""
    changes = checked_values(clean_unless_trusted(store, author, blog, values, HTML_FIELDS, blog))
    changed = sorted(field for field, value in changes.items() if getattr(blog, field) != value)
    check_folders(store, config, {field: changes[field] for field in FOLDERS if field in changed}, blog, author)
    before, blog = blog, blog.copy(**changes)
    job_ids = []
    if not changed:
        return Done(blog)
    with store.transaction():
        store.save(blog)
        if "archive_url" in changed or "site_url" in changed:
            for entry in store.find(Entry, blog_id=blog.id):
                store.save(entry)  # item URLs follow a changed archive URL
        record(store, "settings", _changes_in_words(before, blog, changed), blog.id, author, ip)
        if is_published(blog) and any(field in SHOWN_ON_PAGES for field in changed):
            job_ids.append(store.enqueue("rebuild_weblog", {"blog_id": blog.id}).id)
    return Done(blog, changed, job_ids)


def checked_values(values):
    """Blog fields from typed-in values: paths absolute, URLs http(s) ending in
    "/", update-ping services one http(s) URL a line, timezone -12..+14 hours; ActionError for the first bad one."""
    unknown_fields(values, FIELDS)
    changes = {}
    for field, value in values.items():
        if value is None:
            continue
        if field in FLAGS:
            value = flag(value)
        elif field == "timezone":
            value = _timezone(value)
        elif field == "update_ping_urls":
            value = url_list(value, field)
        elif field == "moderate_pings":
            value = _choice(value, MODERATION, field)
        elif field == "linkback_check":
            value = _choice(value, LINKBACK_CHECKS, field)
        elif field == "own_links":
            value = _choice(value, OWN_LINKS, field)
        elif field == "junk_words":
            value = block_list(value)
        elif field == "close_pings_after_days":
            value = _days(value)
        elif field.endswith("_path"):
            value = os.path.abspath(os.path.expanduser(value.strip())) if value.strip() else ""
        elif field.endswith("_url"):
            value = page_url(value, field) if value.strip() else ""
            if value and not value.endswith("/"):
                value += "/"
        else:
            value = value.strip()
        changes[field] = value
    return changes


def _changes_in_words(before, blog, changed):
    """The activity log's line for changed settings: each field named as the
    settings screen labels it, its new value in words ("New pings: hold every
    ping for approval", "Accept Pingbacks: off"), in the screen's order."""
    ordered = list(SETTING_LABELS) + [field for field in FIELDS if field not in SETTING_LABELS]
    return "; ".join("%s: %s" % (SETTING_LABELS.get(field, field), _setting_in_words(before, blog, field))
                     for field in ordered if field in changed)


def _setting_in_words(before, blog, field):
    value = getattr(blog, field)
    if field in FLAGS:
        return "on" if value else "off"
    if field in CHOICES:
        return CHOICES[field][value].lower()
    if field == "description":
        return "changed"
    if field == "timezone":
        return timezone_name(value)
    if field == "close_pings_after_days":
        return str(value) if value else "0 (never)"
    if field == "junk_words":
        added, removed = len(set(value) - set(before.junk_words)), len(set(before.junk_words) - set(value))
        changes = [words for count, words in ((added, "%d added" % added), (removed, "%d removed" % removed)) if count]
        return "%s (%d in all)" % (", ".join(changes) or "reordered", len(value))
    if field == "update_ping_urls":
        return ", ".join(value) or "none"
    return value or "(empty)"


def timezone_name(hours):
    """A time zone as the settings screen lists it: UTC+05:30."""
    whole, minutes = int(abs(hours)), int(round(abs(hours) % 1 * 60))
    return "UTC%s%02d:%02d" % ("-" if hours < 0 else "+", whole, minutes)


def check_folders(store, config, folders, blog=None, author=None):
    """Refuse (ActionError) new site or archive folders (`folders`: field ->
    absolute path) that `author` may not choose (None: the owner's `mtpy`
    command) or that publishing must not write to: only a system administrator
    chooses them; each lies inside WeblogRoot when mt.cfg names one, never
    inside one of mtpy's own folders, and apart from every other weblog's
    folders (neither the same, nor inside, nor holding one), so that no
    weblog's pages overwrite another's or mtpy's files. `store` None: before
    the store exists (set-up), when there is no other weblog."""
    folders = [(field, folders[field]) for field in FOLDERS if folders.get(field)]
    if not folders:
        return
    if author is not None and not author.is_admin:
        raise ActionError("Only a system administrator chooses where a weblog is published.", folders[0][0])
    root = config.get("WeblogRoot")
    others = [other for other in store.find(Blog) if blog is None or other.id != blog.id] if store is not None else []
    for field, path in folders:
        real = os.path.realpath(path)
        if root and not is_inside(real, os.path.realpath(root)):
            raise ActionError("Weblogs are published inside %s (WeblogRoot in mt.cfg): %s is not." % (root, path),
                              field)
        for label, folder in own_folders(config):
            if is_inside(real, os.path.realpath(folder)):
                raise ActionError("%s is inside %s, %s: choose a folder of the weblog's own." % (path, label, folder),
                                  field)
        for other in others:
            for used in {other.site_path, other.archive_path} - {"", None}:
                if is_inside(real, os.path.realpath(used)) or is_inside(os.path.realpath(used), real):
                    raise ActionError("%s would share files with weblog %d (%s), which is published in %s: "
                                      "each weblog needs a folder of its own, neither inside the other."
                                      % (path, other.id, other.name, used), field)


def block_list(value):
    """Words and domains, one a line or separated by spaces, lower-cased, each once."""
    words = value.split() if isinstance(value, str) else [str(word) for word in value or []]
    return list(dict.fromkeys(word.strip().lower() for word in words if word.strip()))


def _choice(value, choices, field):
    value = (value or "").strip()
    if value not in choices:
        raise ActionError("Choose one of: %s" % ", ".join(choices), field)
    return value


def _days(value):
    try:
        days = int(str(value).strip() or 0)
    except ValueError:
        raise ActionError("A number of days, 0 for never: not %r" % (value,), "close_pings_after_days")
    if not 0 <= days <= 36500:
        raise ActionError("A number of days from 0 (never) to 36500", "close_pings_after_days")
    return days


def _timezone(value):
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise ActionError("The timezone is hours from UTC, like -5 or 5.5: not %r" % (value,), "timezone")
    if not -12 <= hours <= 14:
        raise ActionError("The timezone is between -12 and +14 hours from UTC", "timezone")
    return hours
