"""A signal that comes while a store registers a record waits until the record is labelled
(:func:`podium.lifeline.signals_held`): no trial is left RUNNING without its session."""

from __future__ import annotations

import os
import signal

import pytest

from podium.lifeline import Terminated, handle_signals, signals_held, signals_let_in


@pytest.fixture
def sigterm_handled():
    saved = signal.getsignal(signal.SIGTERM)
    handle_signals()
    yield
    signal.signal(signal.SIGTERM, saved)


def test_a_held_signal_is_raised_when_the_block_ends(sigterm_handled) -> None:
    reached = []
    with pytest.raises(Terminated):
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            reached.append("after the signal")  # not cut short
    assert reached == ["after the signal"]


def test_a_held_signal_is_raised_on_entering_a_let_in_block(sigterm_handled) -> None:
    inside = []
    with signals_held():
        os.kill(os.getpid(), signal.SIGTERM)
        with pytest.raises(Terminated):
            with signals_let_in():
                inside.append("body")
    assert inside == []


def test_signals_come_at_once_inside_a_let_in_block(sigterm_handled) -> None:
    after = []
    with signals_held():
        with pytest.raises(Terminated):
            with signals_let_in():
                os.kill(os.getpid(), signal.SIGTERM)
                after.append("not reached")
    assert after == []
