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
