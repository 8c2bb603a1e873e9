"""The four builds every benchmark compares: lanwise compiled and pure, python-zeroconf too.

lanwise runs compiled where the build made it, pure Python with
``LANWISE_NO_EXTENSIONS=1`` (docs/compiled.md); python-zeroconf's installed
wheel is its Cython build, and :func:`pure_zeroconf_dir` builds a pure-Python
copy of the same version once (``SKIP_CYTHON=1 pip install --no-binary
zeroconf --no-deps --target DIR``, under .venv/lanwise-bench/; needs the
network the first time).

A benchmark process imports one lanwise path (whichever its environment
chooses) and the compiled zeroconf; the other lanwise path and the pure
zeroconf run in :class:`Worker` subprocesses, which stay up for the whole run
so that rounds can be interleaved (on a shared machine load comes in bursts:
interleaving and keeping each side's best keeps the ratios fair). Every side
says which build it ran (:func:`describe`), and the benchmark prints it.

RESULT keys, the same in every benchmark (``METRIC`` its own name):

- ``METRIC_vs_compiled_ratio`` / ``METRIC_vs_zeroconf_ratio``: compiled lanwise /
  compiled python-zeroconf (the issue's targets keep this meaning);
- ``METRIC_vs_pure_ratio`` / ``METRIC_vs_pure_zeroconf_ratio``: compiled lanwise /
  pure python-zeroconf;
- the same with ``pure_`` in front: pure lanwise against each zeroconf build.

When no compiled lanwise exists (no C compiler at build time) the compiled
keys are left out and the output says so.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final, Literal

REPO: Final = Path(__file__).resolve().parents[1]
NO_EXTENSIONS: Final = "LANWISE_NO_EXTENSIONS"

#: A build of either library: compiled (lanwise: the Cython modules; zeroconf: its wheel) or pure.
Build = Literal["compiled", "pure"]


def lanwise_path() -> Build:
    """The lanwise path this process runs."""
    import lanwise  # noqa: PLC0415 - after the caller set up sys.path

    return "compiled" if lanwise.compiled else "pure"


def other_path(path: Build) -> Build:
    return "pure" if path == "compiled" else "compiled"


def zeroconf_build() -> Build:
    """The python-zeroconf build this process imports (its parser module's file)."""
    incoming = importlib.import_module("zeroconf._protocol.incoming")
    origin = incoming.__file__ or ""
    return "pure" if origin.endswith(".py") else "compiled"


def describe() -> dict[str, str]:
    """Which build each library runs in this process, in words and as a path."""
    import zeroconf  # noqa: PLC0415

    import lanwise  # noqa: PLC0415

    modules = lanwise.compiled
    incoming = importlib.import_module("zeroconf._protocol.incoming")
    return {
        "lanwise": lanwise_path(),
        "lanwise_detail": (
            f"compiled ({len(modules)} modules: {', '.join(modules)})"
            if modules
            else f"pure Python ({NO_EXTENSIONS}={os.environ.get(NO_EXTENSIONS, '')!r})"
        ),
        "zeroconf": zeroconf_build(),
        "zeroconf_detail": f"{zeroconf.__version__} {incoming.__file__}",
    }


def pure_zeroconf_dir() -> Path:
    """A pure-Python copy of the installed zeroconf version, built once and cached."""
    import zeroconf  # noqa: PLC0415

    version = zeroconf.__version__
    target = REPO / ".venv" / "lanwise-bench" / f"zeroconf-{version}-pure"
    marker = target / "zeroconf" / "_protocol" / "incoming.py"
    if marker.exists() and not list((target / "zeroconf").rglob("*.so")):
        return target
    env = dict(os.environ, SKIP_CYTHON="1", REQUIRE_CYTHON="0")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-binary",
            "zeroconf",
            "--no-deps",
            "--no-cache-dir",
            "--target",
            str(target),
            f"zeroconf=={version}",
        ],
        check=True,
        env=env,
    )
    if list((target / "zeroconf").rglob("*.so")):
        raise RuntimeError(f"{target} holds compiled modules; SKIP_CYTHON was not honoured")
    return target


def environment(lanwise: Build, zeroconf: Build) -> dict[str, str]:
    """The environment of a subprocess running the given lanwise path and zeroconf build."""
    env = dict(os.environ)
    if lanwise == "pure":
        env[NO_EXTENSIONS] = "1"
    else:
        env.pop(NO_EXTENSIONS, None)
    front = [str(REPO / "src"), str(REPO)]
    if zeroconf == "pure":
        front.insert(0, str(pure_zeroconf_dir()))
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([*front, *rest])
    return env


# The worker: calls module functions named on stdin, one JSON line per call, and
# answers on the stdout it started with (what the functions print goes to stderr).
_WORKER = """
import importlib, json, os, sys
out = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr
from bench import paths
module = importlib.import_module(sys.argv[1])
for line in sys.stdin:
    name, args = json.loads(line)
    func = paths.describe if name == "describe" else getattr(module, name)
    out.write(json.dumps(func(*args)) + "\\n")
    out.flush()
"""


class Worker:
    """A subprocess running ``module`` on one lanwise path and one zeroconf build."""

    def __init__(self, module: str, *, lanwise: Build, zeroconf: Build) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(REPO),
            env=environment(lanwise, zeroconf),
        )
        self.build = self.call("describe")

    def call(self, function: str, *args: Any) -> Any:
        """``module.function(*args)`` in the worker (JSON in, JSON out)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([function, list(args)]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the benchmark worker died calling {function}")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(60)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            self.proc.kill()
        self.close()


class Sides:
    """The other lanwise path and the pure zeroconf, as workers, beside this process.

    ``here`` is what this process runs; ``lanwise_worker`` runs the other lanwise path,
    ``zeroconf_worker`` the pure zeroconf (its lanwise path does not matter).
    """

    def __init__(self, module: str) -> None:
        self.module = module
        self.here = describe()
        if self.here["zeroconf"] != "compiled":
            raise SystemExit(
                f"the installed zeroconf is not the compiled build: {self.here['zeroconf_detail']}"
            )
        here_path: Build = "compiled" if self.here["lanwise"] == "compiled" else "pure"
        self.lanwise_worker = Worker(module, lanwise=other_path(here_path), zeroconf="compiled")
        self.zeroconf_worker = Worker(module, lanwise=here_path, zeroconf="pure")
        if self.zeroconf_worker.build["zeroconf"] != "pure":
            raise SystemExit(f"pure zeroconf copy is compiled: {self.zeroconf_worker.build}")
        paths = {here_path, self.lanwise_worker.build["lanwise"]}
        #: True when both lanwise paths run (False: no compiled build exists).
        self.both = paths == {"compiled", "pure"}

    def lanwise(self, path: Build, function: str, *args: Any) -> Any:
        """Run ``function`` of the module for lanwise ``path``, here or in the worker."""
        if self.here["lanwise"] == path:
            return getattr(importlib.import_module(self.module), function)(*args)
        return self.lanwise_worker.call(function, *args)

    def zeroconf(self, build: Build, function: str, *args: Any) -> Any:
        """Run ``function`` of the module for zeroconf ``build``, here or in the worker."""
        if build == "compiled":
            return getattr(importlib.import_module(self.module), function)(*args)
        return self.zeroconf_worker.call(function, *args)

    def builds(self) -> list[str]:
        """One line per side naming its build, for the benchmark's output."""
        other = self.lanwise_worker.build
        lines = [
            f"lanwise {self.here['lanwise']:8} (this process): {self.here['lanwise_detail']}",
            f"lanwise {other['lanwise']:8} (subprocess):   {other['lanwise_detail']}",
            f"zeroconf compiled (this process): {self.here['zeroconf_detail']}",
            f"zeroconf pure     (subprocess):   {self.zeroconf_worker.build['zeroconf_detail']}",
        ]
        if not self.both:
            lines.append("no compiled lanwise build here: the compiled lanwise keys are left out")
        return lines

    def close(self) -> None:
        self.lanwise_worker.close()
        self.zeroconf_worker.close()

    def __enter__(self) -> Sides:
        return self

    def __exit__(self, *exc: object) -> None:
        for worker in (self.lanwise_worker, self.zeroconf_worker):
            worker.__exit__(*exc)


def describe_in(lanwise: Build, zeroconf: Build) -> dict[str, str]:
    """:func:`describe` of a fresh process asked to run ``lanwise`` and ``zeroconf``."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from bench import paths; print(json.dumps(paths.describe()))",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment(lanwise, zeroconf),
    )
    described: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return described


LAB_SIDES: Final[tuple[tuple[str, Build], ...]] = (
    ("lanwise", "compiled"),
    ("lanwise", "pure"),
    ("zeroconf", "compiled"),
    ("zeroconf", "pure"),
)


def lab_call(module: str, library: str, build: Build, function: str) -> Call:
    """A :class:`Call` of ``module.function`` for one of :data:`LAB_SIDES`."""
    lanwise: Build = build if library == "lanwise" else "compiled"
    zeroconf: Build = build if library == "zeroconf" else "compiled"
    return Call(module, function, lanwise=lanwise, zeroconf=zeroconf)


def lab_builds() -> tuple[list[str], bool]:
    """Lines naming the build of each of :data:`LAB_SIDES`, and whether lanwise has both."""
    lines = []
    seen = set()
    for library, build in LAB_SIDES:
        lanwise: Build = build if library == "lanwise" else "compiled"
        zeroconf: Build = build if library == "zeroconf" else "compiled"
        described = describe_in(lanwise, zeroconf)
        if library == "lanwise":
            seen.add(described["lanwise"])
        detail = described[f"{library}_detail"]
        lines.append(f"{library} {build:8} (fresh process per run): {detail}")
    both = seen == {"compiled", "pure"}
    if not both:
        lines.append("no compiled lanwise build here: the compiled lanwise keys are left out")
    return lines, both


class Call:
    """``module.function`` to run in a fresh process on a given lanwise path and zeroconf build.

    For the lab benchmarks, whose stacks run through ``Host.call`` (which pickles
    what it runs): unpickling this imports only bench.paths, and calling it sets
    the environment and sys.path before anything imports lanwise or zeroconf.
    """

    def __init__(self, module: str, function: str, *, lanwise: Build, zeroconf: Build) -> None:
        self.module, self.function = module, function
        self.lanwise, self.zeroconf = lanwise, zeroconf
        self.pure_dir = str(pure_zeroconf_dir()) if zeroconf == "pure" else None

    def __call__(self, *args: Any) -> Any:
        if "lanwise" in sys.modules or "zeroconf" in sys.modules:
            raise RuntimeError("bench.paths.Call must run in a fresh process")
        if self.lanwise == "pure":
            os.environ[NO_EXTENSIONS] = "1"
        else:
            os.environ.pop(NO_EXTENSIONS, None)
        if self.pure_dir is not None:
            sys.path.insert(0, self.pure_dir)
        build = describe()
        if (build["lanwise"], build["zeroconf"]) != (self.lanwise, self.zeroconf) and (
            build["zeroconf"] != self.zeroconf or self.lanwise == "pure"
        ):  # only a missing compiled lanwise build may differ (reported by Sides)
            wanted = f"lanwise {self.lanwise}, zeroconf {self.zeroconf}"
            raise RuntimeError(f"asked for {wanted}, got {build}")
        return getattr(importlib.import_module(self.module), self.function)(*args)


def ratios(
    lanwise: dict[Build, dict[str, float]],
    zeroconf: dict[Build, dict[str, float]],
    metrics: list[str],
    *,
    names: tuple[str, str] = ("compiled", "pure"),
    both: bool = True,
) -> dict[str, float]:
    """RESULT ratios per the module docstring's scheme (lanwise / zeroconf, per metric).

    ``names`` spells the zeroconf builds in the keys: ``("compiled", "pure")`` gives
    ``parse_vs_compiled_ratio``, ``("zeroconf", "pure_zeroconf")``
    ``replay_cpu_vs_zeroconf_ratio``.
    """
    out: dict[str, float] = {}
    sides: tuple[tuple[Build, str], ...] = (("compiled", ""), ("pure", "pure_"))
    builds: tuple[Build, ...] = ("compiled", "pure")
    for lanwise_path, prefix in sides:
        if lanwise_path == "compiled" and not both:
            continue
        for build, spelled in zip(builds, names, strict=True):
            for metric in metrics:
                key = f"{prefix}{metric}_vs_{spelled}_ratio"
                out[key] = lanwise[lanwise_path][metric] / zeroconf[build][metric]
    return out
