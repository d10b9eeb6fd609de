"""Publishing: the Jinja2 environment, views of records for templates, pages."""
