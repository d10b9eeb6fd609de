"""Shared fixtures. Every store-level test runs against both backends."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lib"))

from mtpy.config import Config  # noqa: E402
from mtpy.store import open_store  # noqa: E402

BACKENDS = ["sqlite", "flat"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def store(tmp_path, backend):
    config = Config(text="ObjectDriver %s\nDataSource %s\n" % (backend, tmp_path / "data"))
    opened = open_store(config, create=True)
    yield opened
    opened.close()
