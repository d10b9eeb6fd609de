"""Movable Type 2.x template tags, translated to Jinja2 source.

`translate(source, template_name)` runs once per template (the caller caches
the result); the output renders on an environment prepared by
`mtpy.publish.tags.install`, with autoescape off, trim_blocks and lstrip_blocks
off (MT outputs values raw and keeps the template's whitespace as written).

How:
1. scan: MT tags (`<$MTName a="v"$>`, `<MTName a="v">`, `</MTName>`, names
   case-insensitive, `mt:` accepted) are found with a regular expression. Other
   text is output as it is: a `{{`, `{%` or `{#` in it is text too, never Jinja
   (the template's author may not be the installation's owner).
2. parse: the tags become a tree (a container holds its body and, for
   conditionals, an <MTElse> branch), so nesting mistakes and bad attributes are
   reported with the tag, the template and the line.
3. generate: each tag becomes a Jinja expression or statement. Which entry,
   category, archive, ping or calendar day a tag means is known from where it
   sits (the innermost tag that sets it), so the output is plain attribute access
   and filters: no per-tag dispatch at render time, which a rebuild of thousands
   of pages would pay for on every tag.

Variables the pipeline passes to every render (mtpy.publish.views.template_values,
read-only views in Jinja2's sandbox): site, blog, config (the public settings),
now (the render's clock: site.now, a stored UTC time), archive, entry, category,
and the function mt_template_name(module=None, file=None).
"""

import bisect
import re

from mtpy.publish.mtml.table import CONDITIONAL, ELSE, FUNCTION, GLOBAL_ATTRIBUTES, TAGS, jinja_literal, post_process


class MTTemplateError(ValueError):
    """A template MT would not have built; the message names the tag, the
    template and the line."""


# A "{" that would open a Jinja delimiter: before "{", "%" or "#", or at the end
# of a text (the next tag's code starts with "{").
_JINJA_OPENING = re.compile(r"\{(?=[{%#]|\Z)")


def _template_text(chunk):
    """Template text as Jinja source that outputs it as written. Such a "{" is
    written as a constant expression, which Jinja joins to the text when it
    compiles: no cost when rendering."""
    return _JINJA_OPENING.sub("{{ '{' }}", chunk)


# -- where a tag sits -------------------------------------------------------------------

class Loop:
    """A loop a tag sits in; `saved` names the Jinja loop object when a tag
    inside (a header, a date header) needs it from within nested loops."""

    def __init__(self, kind, var):
        self.kind = kind
        self.var = var
        self.saved = None


class Scope:
    """What the tags at one place of the template refer to, as Jinja expressions."""

    def __init__(self):
        self.entry = "(entry or mt_none)"      # the page's entry, maybe None
        self.entry_bound = False               # True inside a loop that sets it
        self.category = "(category or mt_none)"
        self.category_bound = False
        self.archive = "(archive or mt_none)"
        self.ping = None
        self.sent_url = None
        self.cell = None
        self.source = None                     # entries a nested <MTEntries> lists
        self.ping_owner = None                 # ("entry"|"category", expression)
        self.loops = ()

    def but(self, **changes):
        scope = Scope.__new__(Scope)
        scope.__dict__.update(self.__dict__)
        scope.__dict__.update(changes)
        return scope

    def loop(self, kind):
        for loop in reversed(self.loops):
            if loop.kind == kind:
                return loop
        return None


# -- the tree -----------------------------------------------------------------------------

class Node:
    __slots__ = ("tag", "attributes", "line", "body", "else_body", "in_else")

    def __init__(self, tag, attributes, line):
        self.tag = tag
        self.attributes = attributes
        self.line = line
        self.body = []
        self.else_body = None
        self.in_else = False              # adding to the MTElse branch

    def target(self):
        return self.else_body if self.in_else else self.body


_SCAN = re.compile(r"<(?P<close>/)?(?P<dollar>\$)?(?P<prefix>mt:?)(?P<name>\w+)", re.I)
_ATTRIBUTE = re.compile(r"""\s+([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+?)(?=\s|/?\$?>))""")
_OPEN_END = re.compile(r"\s*(/)?\s*(\$)?>")
_CLOSE_END = re.compile(r"\s*>")


class Parser:
    def __init__(self, source, template_name):
        self.source = source
        self.template_name = template_name
        self.newlines = [match.start() for match in re.finditer("\n", source)]
        self.root = Node(None, {}, 1)
        self.stack = [self.root]
        self.warnings = []
        self.warned = set()

    def line(self, position):
        return bisect.bisect_right(self.newlines, position) + 1

    def error(self, line, message):
        return MTTemplateError("%s line %d: %s" % (self.template_name, line, message))

    def text(self, chunk):
        if chunk:
            self.stack[-1].target().append(chunk)

    def parse(self):
        position = 0
        while True:
            match = _SCAN.search(self.source, position)
            if match is None:
                break
            self.text(self.source[position:match.start()])
            position = self.tag(match)
        self.text(self.source[position:])
        if len(self.stack) > 1:
            node = self.stack[-1]
            raise self.error(node.line, "<MT%s> is not closed (no </MT%s>)" % (node.tag.name, node.tag.name))
        return self.root.body

    # -- one tag -------------------------------------------------------------------------

    def tag(self, match):
        """Handle the tag starting at `match`; returns where scanning goes on."""
        line = self.line(match.start())
        written = "MT" + match.group("name")
        tag = TAGS.get(match.group("name").lower())
        # MathML's <mtable>, <mtr>, <mtd>, <mtext> start like MT tags: an unknown
        # name is only an error when it is written the way MT tags are.
        strict = bool(match.group("dollar") or ":" in match.group("prefix")
                      or match.group("prefix") == "MT")
        if tag is None and not strict:
            self.text(match.group(0))
            return match.end()
        if match.group("close"):
            end = _CLOSE_END.match(self.source, match.end())
            if end is None:
                raise self.error(line, "malformed closing tag </%s: expected >" % written)
            if tag is None:
                raise self.error(line, "unknown tag </%s>" % written)
            self.close(tag, line)
            return end.end()
        attributes, position = self.attributes(match.end())
        end = _OPEN_END.match(self.source, position)
        if end is None:
            raise self.error(line, "malformed tag <%s: expected attributes like "
                             'name="value", then > or $>' % written)
        if tag is None:
            raise self.error(line, "unknown tag <%s>" % written)
        as_function = bool(match.group("dollar") or end.group(1) or end.group(2))
        self.open(tag, self.check_attributes(tag, attributes, line), line, as_function)
        return end.end()

    def attributes(self, position):
        found = []
        while True:
            match = _ATTRIBUTE.match(self.source, position)
            if match is None:
                return found, position
            value = next(group for group in match.groups()[1:] if group is not None)
            found.append((match.group(1).lower(), value))
            position = match.end()

    def check_attributes(self, tag, attributes, line):
        checked = {}
        for name, value in attributes:
            check = tag.attributes.get(name)
            if check is None and tag.kind == FUNCTION:
                check = GLOBAL_ATTRIBUTES.get(name)
            if check is None:
                continue  # MT ignored attributes a tag does not know
            try:
                checked[name] = check(value)
            except ValueError as error:
                raise self.error(line, '<MT%s %s="%s">: %s %s' % (tag.name, name, value, name, error))
        return checked

    def open(self, tag, attributes, line, as_function):
        if tag.nothing is not None and tag.name.lower() not in self.warned:
            self.warned.add(tag.name.lower())
            topic, reason, output = tag.nothing
            self.warnings.append("%s line %d: %s (%s) renders %s: %s" % (
                self.template_name, line, tag.display(), topic,
                "nothing" if output == "" else output, reason))
        if tag.kind == ELSE:
            return self.start_else(line)
        if tag.kind == FUNCTION:
            self.stack[-1].target().append(Node(tag, attributes, line))
            return
        if as_function:
            raise self.error(line, "<MT%s> is a container tag: write <MT%s>...</MT%s>, not <$MT%s$>"
                             % ((tag.name,) * 4))
        node = Node(tag, attributes, line)
        self.stack[-1].target().append(node)
        self.stack.append(node)

    def start_else(self, line):
        node = self.stack[-1]
        if node.tag is None:
            raise self.error(line, "<MTElse> outside a conditional tag (<MTEntryIfExtended> and the like)")
        if node.tag.kind != CONDITIONAL:
            raise self.error(line, "<MTElse> inside <MT%s>, which is not a conditional tag" % node.tag.name)
        if node.else_body is not None:
            raise self.error(line, "a second <MTElse> in <MT%s> of line %d" % (node.tag.name, node.line))
        node.else_body = []
        node.in_else = True

    def close(self, tag, line):
        node = self.stack[-1]
        if tag.kind == FUNCTION:
            raise self.error(line, "<$MT%s$> is a function tag: it has no closing </MT%s>" % (tag.name, tag.name))
        if tag.kind == ELSE:
            if node.tag is None or not node.in_else:
                raise self.error(line, "</MTElse> without <MTElse>")
            node.in_else = False          # MT 3 style: what follows is the true branch again
            return
        if node.tag is tag:
            self.stack.pop()
            return
        opened = [each for each in self.stack[1:] if each.tag is tag]
        if not opened:
            raise self.error(line, "</MT%s> has no opening <MT%s>" % (tag.name, tag.name))
        raise self.error(line, "</MT%s> closes <MT%s> of line %d, but <MT%s> of line %d is still open"
                         % (tag.name, tag.name, opened[-1].line, node.tag.name, node.line))


# -- generation -----------------------------------------------------------------------------

class Generator:
    def __init__(self, template_name):
        self.template_name = template_name
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return "_mt%s%d" % (prefix, self.count)

    def error(self, node, message):
        return MTTemplateError("%s line %d: %s" % (self.template_name, node.line, message))

    def nodes(self, nodes, scope):
        return "".join(_template_text(node) if isinstance(node, str) else self.node(node, scope) for node in nodes)

    def node(self, node, scope):
        tag = node.tag
        if tag.nothing is not None:
            return self.nothing(node, scope)
        if tag.kind == FUNCTION:
            code = tag.build(self, node, scope)
            if code.startswith("{%"):      # a statement (MTInclude)
                return code
            return "{{ %s }}" % post_process(code, tag.value, node.attributes)
        if tag.kind == CONDITIONAL:
            code = "{%% if %s %%}%s" % (tag.build(self, node, scope), self.nodes(node.body, scope))
            if node.else_body is not None:
                code += "{% else %}" + self.nodes(node.else_body, scope)
            return code + "{% endif %}"
        return tag.build(self, node, scope)

    def nothing(self, node, scope):
        """Comment and search tags: counts are 0, conditionals false (their
        MTElse branch shows), the rest shows nothing."""
        if node.tag.kind == CONDITIONAL:
            return self.nodes(node.else_body or [], scope)
        return node.tag.nothing[2] if node.tag.kind == FUNCTION else ""

    def loop(self, node, scope, kind, var, iterable, inner, condition=None):
        """A for loop over `iterable` whose body sees `inner` (a Scope)."""
        frame = Loop(kind, var)
        body = self.nodes(node.body, inner.but(loops=scope.loops + (frame,)))
        head = "{%% for %s in %s%s %%}" % (var, iterable, " if " + condition if condition else "")
        if frame.saved:
            head += "{%% set %s = loop %%}" % frame.saved
        glue = node.attributes.get("glue")
        if glue:
            head += "{%% if not loop.first %%}{{ %s }}{%% endif %%}" % jinja_literal(glue)
        return head + body + "{% endfor %}"

    def loop_object(self, node, scope, kind, container):
        frame = scope.loop(kind)
        if frame is None:
            raise self.error(node, "<MT%s> used outside <MT%s>" % (node.tag.name, container))
        if frame.saved is None:
            frame.saved = self.name("l")
        return frame

    def need(self, node, value, container):
        if value is None:
            raise self.error(node, "%s used outside <MT%s>" % (node.tag.display(), container))
        return value


# -- the entry point -------------------------------------------------------------------------------------


def translate(source, template_name):
    """MT 2.x template text -> (Jinja2 source, warnings). Raises MTTemplateError."""
    parser = Parser(source, template_name)
    tree = parser.parse()
    return Generator(template_name).nodes(tree, Scope()), parser.warnings
