"""A signal whose handler runs inside a finalizer (a ``__del__`` or a library's weakref
callback, run by the garbage collector) still stops the command: its exception cannot leave
the finalizer, so podium sends the signal again instead of printing "Exception ignored"
and going on (seen as a traceback in `podium tune` stopped with Ctrl-C)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.faults

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from podium.lifeline import Terminated, handle_signals
    handle_signals(once=True, sigint=True)

    class Finalized:
        def __del__(self):
            os.kill(os.getpid(), signal.{sig})
            for _ in range(100_000):  # the handler runs here, inside the finalizer
                pass

    try:
        x = Finalized()
        del x
        for _ in range(10_000_000):
            pass
        print("not stopped")
    except Terminated as exc:
        print("stopped", exc.signum)
    """
)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_in_a_finalizer_is_raised_after_it(sig: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(sig=sig)], capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    import signal

    assert out.stdout.strip() == f"stopped {int(getattr(signal, sig))}", out.stderr
    assert "Exception ignored" not in out.stderr and "Traceback" not in out.stderr
