"""XML-RPC as a Pingback server speaks it: reading a methodCall, writing a
methodResponse or a fault.

The call is read with expat and nothing else: no DTD is ever read (a
DOCTYPE or ENTITY declaration refuses the whole call, so no billion laughs and
no external entity), an unknown entity is a parse error, and any malformed
call becomes a CallError that the server answers as a fault (never a 500).
xmlrpc.client would do the reading too, but it imports http.client, datetime
and more: a CGI Pingback pays for every import. The body's size is the
caller's to bound (MaxRequestBytes) before it gets here; nesting is bounded
here.
"""

import xml.parsers.expat

from mtpy.text import escape_xml

CONTENT_TYPE = "text/xml; charset=utf-8"
PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n'
# The XML-RPC interoperability codes (xmlrpc-epi's "specification for fault
# code interoperability"), which XML-RPC clients know, for calls that are not
# Pingback's business; Pingback's own codes are mtpy.apps.pingback's.
PARSE_ERROR = -32700
INVALID_CALL = -32600
NO_SUCH_METHOD = -32601
INVALID_PARAMS = -32602
MAX_DEPTH = 16      # a methodCall of strings is 6 deep; arrays and structs add 2 a level


class CallError(Exception):
    """A call that cannot be answered: `code` and `message` for its fault."""

    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


class OtherValue:
    """A parameter of a type a Pingback server never takes (int, array...):
    `kind` is its element's name."""

    def __init__(self, kind):
        self.kind = kind


class _Element:
    def __init__(self, name):
        self.name = name
        self.text = []
        self.children = []


def read_call(body):
    """(method name, [parameters]) of a methodCall's bytes. A parameter is a
    str for a `<string>` or an untyped `<value>`, an OtherValue for anything
    else. Raises CallError for anything but a well-formed methodCall without
    a DTD."""
    root = _parse(body)
    if root.name != "methodCall":
        raise CallError(INVALID_CALL, "Not an XML-RPC call: the document is a <%s>, not a <methodCall>."
                        % root.name[:40])
    names = [child for child in root.children if child.name == "methodName"]
    blocks = [child for child in root.children if child.name == "params"]
    if len(names) != 1 or len(blocks) > 1 or names[0].children or \
            any(child.name not in ("methodName", "params") for child in root.children):
        raise CallError(INVALID_CALL, "A methodCall holds one <methodName> and at most one <params>.")
    method = "".join(names[0].text).strip()
    if not method:
        raise CallError(INVALID_CALL, "The methodName is empty.")
    params = []
    for param in blocks[0].children if blocks else []:
        if param.name != "param" or len(param.children) != 1 or param.children[0].name != "value":
            raise CallError(INVALID_CALL, "Each <param> holds one <value>.")
        params.append(_value(param.children[0]))
    return method, params


def _parse(body):
    """The document's root element; CallError when it is no XML or has a DTD."""
    def refuse(*args):
        raise CallError(PARSE_ERROR, "DTDs and entity declarations are not accepted.")

    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    stack, done = [], []

    def start(name, attributes):
        if len(stack) >= MAX_DEPTH:
            raise CallError(PARSE_ERROR, "The call is nested more than %d elements deep." % MAX_DEPTH)
        element = _Element(name)
        if stack:
            stack[-1].children.append(element)
        stack.append(element)

    def end(name):
        done.append(stack.pop())

    def text(data):
        if stack:
            stack[-1].text.append(data)

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as error:
        raise CallError(PARSE_ERROR, "Parse error: not well-formed XML (%s)."
                        % xml.parsers.expat.ErrorString(error.code))
    except (LookupError, ValueError):   # pyexpat's words for an encoding it cannot read
        raise CallError(PARSE_ERROR, "Parse error: the call's encoding is not one XML-RPC uses (send UTF-8).")
    return done[-1]


def _value(element):
    """A <value>'s parameter (see read_call)."""
    if not element.children:
        return "".join(element.text)
    if len(element.children) != 1 or "".join(element.text).strip():
        raise CallError(INVALID_CALL, "A <value> holds one typed element or text.")
    typed = element.children[0]
    if typed.name != "string":
        return OtherValue(typed.name)
    if typed.children:
        raise CallError(INVALID_CALL, "A <string> holds text only.")
    return "".join(typed.text)


def response(value):
    """A methodResponse of one string, or of an array of strings (a list)."""
    if isinstance(value, list):
        inner = "<array><data>\n%s</data></array>" % "".join(
            "<value><string>%s</string></value>\n" % escape_xml(item) for item in value)
    else:
        inner = "<string>%s</string>" % escape_xml(value)
    return "%s<methodResponse>\n<params>\n<param><value>%s</value></param>\n</params>\n</methodResponse>\n" % (
        PROLOG, inner)


def fault(code, message):
    """A methodResponse that is a fault: `code` (int) and `message`."""
    return ("%s<methodResponse>\n<fault>\n<value><struct>\n"
            "<member><name>faultCode</name><value><int>%d</int></value></member>\n"
            "<member><name>faultString</name><value><string>%s</string></value></member>\n"
            "</struct></value>\n</fault>\n</methodResponse>\n") % (PROLOG, code, escape_xml(message))
