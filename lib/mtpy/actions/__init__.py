"""The rules of changing a weblog, shared by every way in: the `mtpy` command,
mt.cgi and the deferred-work worker. A screen or a subcommand reads its input,
calls one action and shows the result; no rule lives in either.

An action refuses bad input with ActionError before it changes anything.
"""


class ActionError(Exception):
    """Input an action refuses; `field` names the form field it concerns (None
    for the whole request), so a screen can show it next to that field."""

    def __init__(self, message, field=None):
        Exception.__init__(self, message)
        self.message = message
        self.field = field


class Done:
    """What an action did: `record` (the object it saved, or None), `changed`
    (names of what changed: fields, or ids for actions on many objects) and
    `job_ids` (the deferred work it queued; mt.cgi answers first and runs them
    after, the `mtpy` command runs them at once)."""

    __slots__ = ("record", "changed", "job_ids")

    def __init__(self, record=None, changed=(), job_ids=()):
        self.record = record
        self.changed = list(changed)
        self.job_ids = list(job_ids)

    def __iter__(self):
        """The queued job ids: `jobs += action(...)` collects them."""
        return iter(self.job_ids)

    def __repr__(self):
        return "Done(record=%r, changed=%r, job_ids=%r)" % (self.record, self.changed, self.job_ids)

