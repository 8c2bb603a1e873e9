"""Check the release artifacts: the sdist builds a binary wheel holding every extension.

``python -m build`` makes the sdist, then the wheel from that sdist, each in an
isolated environment whose build requirements (hatchling, Cython, setuptools)
come from the package index: nothing needs to be preinstalled, and a file the
compile needs but the sdist lacks fails here. ``LANWISE_REQUIRE_EXTENSIONS=1``
makes a failed compile fail the build. The wheel must then carry a platform
tag, one extension per module of ``lanwise._extensions.COMPILABLE``, and the
manifest of their sources' hashes (hatch_build.py).

It needs the network (the isolated environments); ./scripts/test runs it before
it enters its network namespace. When the index is unreachable it builds from
pip's local find-links alone, and if that cannot work either it says so and passes.
The artifacts go to build/dist/; the check is skipped when no file the sdist
takes from the checkout changed since the last one passed (stamp in build/dist/).

Run: .venv/bin/python scripts/check_dist.py [--force]
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import urllib.parse
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "dist"
STAMP = OUT / ".checked"
# What pip prints when it cannot reach the index (urllib3 and socket errors).
OFFLINE = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Network is unreachable|No route to host|ProxyError"
)


def _index_reachable(timeout: float = 3.0) -> bool:
    """Can pip reach its package index? (A TCP connection to it; a proxy is trusted.)

    Offline, pip would retry the index for minutes before falling back on its
    local find-links; this lets the check go straight to them.
    """
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    parts = urllib.parse.urlsplit(os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple/")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return True
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout):
            return True
    except OSError:
        return False


def _sources_digest() -> str:
    """SHA-256 over the checkout's files that git would put in an sdist (tracked or new)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    digest = hashlib.sha256()
    for name in sorted(n for n in listed if n):
        path = ROOT / os.fsdecode(name)
        if path.is_file():
            digest.update(name + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _compilable() -> tuple[str, ...]:
    sys.path.insert(0, str(ROOT / "src"))
    from lanwise import _extensions  # noqa: PLC0415 - from this checkout

    return tuple(_extensions.COMPILABLE)


def check_wheel(wheel: Path, compilable: tuple[str, ...]) -> list[str]:
    """What is wrong with ``wheel`` (empty: nothing)."""
    problems = []
    tag = wheel.name.removesuffix(".whl").split("-")[-1]
    if tag == "any":
        problems.append(f"{wheel.name} is not a platform wheel")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        if "lanwise/_extensions.json" not in names:
            problems.append("no lanwise/_extensions.json (the compiled sources' hashes)")
    for module in compilable:
        stem = module.replace(".", "/") + "."
        if not any(n.startswith(stem) and n.endswith((".so", ".pyd")) for n in names):
            problems.append(f"no extension for {module}")
    return problems


def main() -> int:
    force = "--force" in sys.argv
    digest = _sources_digest()
    if not force and STAMP.exists() and STAMP.read_text().strip() == digest:
        print(f"dist: unchanged since the last check passed ({OUT.relative_to(ROOT)})")
        return 0
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    env = dict(os.environ, LANWISE_REQUIRE_EXTENSIONS="1")
    env.pop("LANWISE_NO_EXTENSIONS", None)
    online = _index_reachable()
    if not online:
        print("dist: the package index is unreachable: the build environments use pip's")
        print("      find-links only (PIP_NO_INDEX=1)")
        env["PIP_NO_INDEX"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(OUT), str(ROOT)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        if not online or OFFLINE.search(output):
            print("dist: skipped: the package index is unreachable (no network), so the")
            print("      isolated build environments cannot be made; run it with a network")
            return 0
        print(output[-4000:])
        print("dist: FAILED: the sdist or the wheel built from it did not build")
        return 1
    sdists = sorted(OUT.glob("*.tar.gz"))
    wheels = sorted(OUT.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        print(f"dist: FAILED: expected one sdist and one wheel in {OUT}, found {sdists + wheels}")
        return 1
    compilable = _compilable()
    problems = check_wheel(wheels[0], compilable)
    if problems:
        for problem in problems:
            print(f"dist: FAILED: {problem}")
        return 1
    STAMP.write_text(digest + "\n")
    print(
        f"dist: {sdists[0].name} builds {wheels[0].name} in an isolated environment, "
        f"with all {len(compilable)} extensions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
