"""The spam run (bench/spam_run.py): real replies whose source pages link back,
mixed with spam that does not, carries blocked words or floods from one address,
against a weblog with the defences on. No spam may show on any public page,
popup or feed; every real reply must be shown or held, none junked."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))

import spam_run  # noqa: E402


def check(figures, broken):
    assert broken == []
    for kind in spam_run.SPAM:
        assert figures[kind].get("published", 0) == 0, (kind, figures)
    assert figures["reply"].get("junk", 0) == 0 and figures["reply"].get("missing", 0) == 0, figures
    assert figures["reply"].get("published", 0) > 0, figures       # the defences let real replies through


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_thousand_pings_in_process(tmp_path, backend):
    figures, broken, _, _ = spam_run.run(str(tmp_path), backend, total=1000, in_process=True)
    check(figures, broken)
    assert sum(sum(states.values()) for states in figures.values()) == 1000


@pytest.mark.parametrize("backend", ["sqlite", "flat"])
def test_through_lighttpd_the_checks_run_after_each_answer(tmp_path, backend):
    figures, broken, _, _ = spam_run.run(str(tmp_path), backend, total=40)
    check(figures, broken)
