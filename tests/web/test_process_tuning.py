"""Server processes raise their open-file limit (a fan-out holds hundreds of sockets)."""

from __future__ import annotations

import subprocess
import sys

import pytest

resource = pytest.importorskip("resource", reason="open-file limits are a Unix thing")

_PROBE = """
import resource, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
from web.process_tuning import raise_open_file_limit
now = raise_open_file_limit(4096)
print(now, resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)
"""


def test_raise_open_file_limit__up_to_the_hard_limit_in_a_fresh_process() -> None:
    # A child process: the test runner's own limit stays as it was.
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True)
    returned, soft, hard = (int(value) for value in done.stdout.split())
    expected = 4096 if hard == resource.RLIM_INFINITY else min(4096, hard)
    assert returned == soft == expected
