"""Movable Type 2.x template tags ("MTML"), translated once to Jinja2 source.

- translator.py: translate(source, template_name): scans the MT tags, parses
  them into a tree and generates the Jinja2 text; MTTemplateError.
- table.py: the table of tags the translator knows (TAGS), with their
  attributes and the Jinja2 code each becomes.

Not to be confused with mtpy.publish.tags: the Jinja2 filters and functions
(mt_entries, mt_date...) that the translated templates call while they render.
"""

from mtpy.publish.mtml.translator import MTTemplateError, translate

# What the publishing pipeline, the template actions and the tests import.
__all__ = ["MTTemplateError", "translate"]
