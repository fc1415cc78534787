"""What a user reads of a build: files others can read, numbers written for people."""

import os
import stat

from accel.flow.report import fmt
from accel.rtl import write_atomic


def test_written_files_get_the_usual_mode(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "metrics.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "metrics.json").stat().st_mode) == 0o644
    assert not list(tmp_path.glob(".metrics.json.*"))


def test_numbers_for_people():
    assert fmt(71576.0) == "71,576" and fmt(133286.4) == "133,286" and fmt(4229) == "4,229"
    assert fmt(4.16) == "4.16" and fmt(0.01746067) == "0.01746" and fmt(-0.2) == "-0.2"
    assert fmt(None) == "-" and fmt(True) == "True" and fmt("osu018") == "osu018" and fmt(0) == "0"
