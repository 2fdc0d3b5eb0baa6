"""docs/audit.md, run as an auditor would type it: every ``sh`` block in order in one
shell, each ``# expect:`` line checked against what its block printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).parents[2] / "docs" / "audit.md"


def _blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def test_every_example_in_the_auditors_guide_runs_and_says_what_the_guide_says(
    tmp_path: Path,
) -> None:
    blocks = _blocks()
    assert len(blocks) >= 8
    script = ["set -u"]
    for n, block in enumerate(blocks):
        script.append(f"{{\n{block}\n}} > block-{n}.out 2>&1")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["COLUMNS"] = "200"  # rich tables at a width that does not cut the words checked
    ran = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600, check=False)
    assert ran.returncode == 0, ran.stderr
    for n, block in enumerate(blocks):
        said = (tmp_path / f"block-{n}.out").read_text(encoding="utf-8")
        for expected in re.findall(r"# expect: (.*)", block):
            assert expected.strip() in said, f"block {n}: {expected!r} not in:\n{said}"
    assert "<svg" in (tmp_path / "timeline.html").read_text(encoding="utf-8")
