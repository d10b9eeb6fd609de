"""The Jinja2 environment for weblog templates (files under TemplatePath)."""

import os

import jinja2

from mtpy import timeutil
from mtpy.text import plain_text


def make_environment(config):
    cache = os.path.join(config.get("DataSource"), "cache", "jinja")
    try:
        os.makedirs(cache, mode=0o700, exist_ok=True)
        bytecode_cache = jinja2.FileSystemBytecodeCache(cache)
    except OSError:  # a read-only data folder: compile each time rather than fail
        bytecode_cache = None
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(config.get("TemplatePath")),
        autoescape=True, bytecode_cache=bytecode_cache,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    environment.filters["plain"] = plain_text
    environment.filters["mtdate"] = timeutil.mt_format
    environment.filters["safe_url"] = safe_url
    return environment


def safe_url(url):
    """Only http(s) URLs become links; anything else (javascript:) becomes ''."""
    lowered = (url or "").strip().lower()
    return url.strip() if lowered.startswith(("http://", "https://")) else ""
