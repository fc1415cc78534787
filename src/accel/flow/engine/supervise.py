"""A tool's supervisor: runs one tool and kills its whole process group when accel dies.

``python -m accel.flow.engine.supervise PARENT_PID -- TOOL ARGS...``. accel starts this in a new process
group; it asks the kernel for SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``), starts the tool in
the same group and, on that signal, kills the group: the tool and whatever it spawned (graywolf, qrouter and
magic are wrapper scripts whose real binaries would outlive a killed wrapper). A parent-death signal set on
the tool itself would not do: it is not inherited by the tool's own children.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def kill_group(signum=None, frame=None) -> None:
    os.killpg(0, signal.SIGKILL)


def main(argv: list[str]) -> int:
    parent, separator, *command = argv
    if separator != "--" or not command:
        print("usage: python -m accel.flow.engine.supervise PARENT_PID -- TOOL [ARGS...]", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, kill_group)
    signal.signal(signal.SIGHUP, kill_group)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != int(parent):          # accel died before the request took hold
        kill_group()
    try:
        proc = subprocess.Popen(command)      # same process group, stdio, cwd and environment
    except OSError as exc:
        print(f"cannot start {command[0]}: {exc}", file=sys.stderr)
        return 127
    code = proc.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
