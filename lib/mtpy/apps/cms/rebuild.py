"""Rebuilding a weblog from the browser, in steps that each answer quickly.

Hosts end a CGI request after 30 to 60 seconds, so a large weblog cannot be
published in one request. As Movable Type's rebuild pages did, a rebuild is a
chain of pages, each publishing a slice (mtpy.actions.rebuild.publish_step:
at most a few seconds of work) and showing the progress:

1. `rebuild` (POST, with the form token; permission "settings") checks the
   choice (everything, one archive type, or only the index templates) and
   redirects to the first step. "Save and rebuild" on a template and an
   import start a chain the same way (`start`).
2. `rebuild_step` (GET) publishes the next slice and answers a progress page
   that goes on to the following step by itself: a `Refresh` header and a
   `<meta http-equiv="refresh">` (no script runs on these pages), with a link
   for a browser that follows neither. The last step records the "rebuild"
   activity line and says what was written.

A step is a GET because a refresh can only GET. That is safe: publishing
changes no stored record and writes the same files when repeated (MT's rebuild
pages were GETs too); the activity line is written once per rebuild however
often the last step is asked for. What a step does is not taken from the
request as such: the step's state (what, offset, step size, counts so far,
when it began) travels in a `step` parameter signed with the installation's
session secret (HMAC-SHA256) together with the weblog and the session's
token hash. Only the logged-in author's own chain, in the session that began
it, continues; another session, a changed offset or another weblog is
refused (403), and the chain ends with the session.

A step's size adapts: the first publishes FIRST_STEP pages so that progress
shows at once; the size doubles while a step takes under half of STEP_SECONDS
and halves when one runs over; a step also stops between chunks once
STEP_SECONDS have passed.
"""

import hashlib
import hmac

from mtpy import dates
from mtpy.actions import ActionError
from mtpy.actions import rebuild as steps
from mtpy.apps.cms.base import HTTPError
from mtpy.apps.cms.screen import mode

STARTED_FORMAT = "%Y%m%d%H%M%S"
STEP_REFUSED = ("This rebuild was started in another session or its address was changed, so it cannot "
                "continue. Start the rebuild again.")


@mode("rebuild", permission="settings", methods=("GET", "POST"))
def rebuild(screen):
    errors, what = {}, screen.param("what") or "all"
    if screen.request.method == "POST":
        try:
            steps.check(screen.blog, what)
        except ActionError as error:
            errors[error.field] = error.message
        else:
            return start(screen, what)
    return screen.render("rebuild.html", what=what, choices=steps.WHAT, errors=errors, active="rebuild",
                         entries=screen.store.count_entries(screen.blog.id))


def start(screen, what):
    """Redirect to the first step of a rebuild of `what` (after a POST)."""
    return screen.redirect("rebuild_step", blog_id=screen.blog.id,
                           step=step_token(screen, what, 0, steps.FIRST_STEP, 0, 0, started_now()))


def started_now():
    return dates.utc_now().replace("-", "").replace(" ", "").replace(":", "")


@mode("rebuild_step", blog=True)
def rebuild_step(screen):
    # Begun from the rebuild screen (settings) or by saving a template (templates).
    if not (screen.may("settings") or screen.may("templates")):
        raise HTTPError(403, "You do not have permission to rebuild %s." % screen.blog.name)
    what, offset, limit, written, unchanged, started = read_step_token(screen, screen.param("step"))
    try:
        step = steps.publish_step(screen.store, screen.config, screen.blog, what, offset, limit)
    except ActionError as error:
        raise HTTPError(409, error.message)
    written += step.written
    unchanged += step.unchanged
    if step.done:
        with screen.store.transaction():
            steps.finish(screen.store, screen.blog, what, written, unchanged, _stored(started),
                         screen.author, screen.request.remote_addr)
        return screen.render("rebuild_done.html", what=steps.describe(what), total=step.total,
                             written=written, unchanged=unchanged, active="rebuild")
    following = screen.url("rebuild_step", blog_id=screen.blog.id, step=step_token(
        screen, what, step.offset, steps.next_limit(limit, step.seconds), written, unchanged, started))
    response = screen.render("rebuild_progress.html", what=steps.describe(what), done=step.offset,
                             total=step.total, following=following, active="rebuild")
    response.headers.append(("Refresh", "0; url=" + following))
    return response


# -- the signed step --------------------------------------------------------------

def step_token(screen, what, offset, limit, written, unchanged, started):
    state = "%s.%d.%d.%d.%d.%s" % (what, offset, limit, written, unchanged, started)
    return "%s.%s" % (state, _signature(screen, state))


def read_step_token(screen, token):
    """(what, offset, limit, written, unchanged, started) of a step this
    session's author began on this weblog; HTTPError 403 otherwise."""
    state, _, signature = (token or "").rpartition(".")
    if (screen.session is None or not state or len(token) > 200 or not token.isascii()
            or not hmac.compare_digest(_signature(screen, state), signature)):
        raise HTTPError(403, STEP_REFUSED)
    what, offset, limit, written, unchanged, started = state.split(".")
    return what, int(offset), int(limit), int(written), int(unchanged), started


def _signature(screen, state):
    from mtpy import sessions
    message = "rebuild-step:%d:%s:%s" % (screen.blog.id, state, screen.session.token_hash)
    return hmac.new(sessions.secret(screen.config), message.encode("ascii"), hashlib.sha256).hexdigest()


def _stored(started):
    """The stored UTC time of a step's `started` (YYYYmmddHHMMSS)."""
    from datetime import datetime
    return datetime.strptime(started, STARTED_FORMAT).strftime(dates.STORED_FORMAT)
