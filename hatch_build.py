"""Build hook: compile the codec's and the engine's hot modules with Cython, or stay pure Python.

The same ``.py`` files are the pure-Python path and the compiled one; the
``.pxd`` files beside some of them only add C types (docs/compiled.md).

- ``LANWISE_NO_EXTENSIONS=1``: build pure Python, compile nothing.
- ``LANWISE_REQUIRE_EXTENSIONS=1``: a failed compile fails the build (CI).
- Otherwise a failed compile (no C compiler, no Python headers) prints one line
  and the package installs as pure Python.

An editable install compiles in place (the extension lands beside its source);
a wheel gets the extensions as force-included files and a platform tag. Either
way the build writes ``lanwise/_extensions.json``: the SHA-256 of each source
compiled, which lanwise checks at import so that a stale extension never
shadows an edited source (src/lanwise/_extensions.py).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SRC = Path("src")


def _compilable(extensions_py: Path) -> tuple[str, ...]:
    """``COMPILABLE`` of ``lanwise/_extensions.py``: one list for the build and the import rule.

    Read as a literal, not imported: the build must not run the package's code.
    """
    tree = ast.parse(extensions_py.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "COMPILABLE" and value is not None:
            modules = ast.literal_eval(value)
            if isinstance(modules, tuple) and all(isinstance(m, str) for m in modules):
                return modules
    raise RuntimeError(f"no COMPILABLE tuple of module names in {extensions_py}")


MODULES = _compilable(Path(__file__).resolve().parent / SRC / "lanwise" / "_extensions.py")
MANIFEST = SRC / "lanwise" / "_extensions.json"


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


def _say(line: str) -> None:
    print(f"lanwise build: {line}", file=sys.stderr, flush=True)


def _source(root: Path, module: str) -> Path:
    return root / SRC / (module.replace(".", "/") + ".py")


def compile_extensions(root: Path, out_dir: Path) -> dict[str, Path]:
    """Compile MODULES into ``out_dir`` (mirroring the package layout); module → file."""
    from Cython.Build import cythonize  # noqa: PLC0415 - a build requirement, not a runtime one
    from setuptools import Distribution, Extension  # noqa: PLC0415

    extensions = [
        Extension(module, [str(_source(root, module).relative_to(root))]) for module in MODULES
    ]
    old_cwd = Path.cwd()
    os.chdir(root)
    try:
        compiled = cythonize(
            extensions,
            compiler_directives={"language_level": 3, "binding": False, "annotation_typing": False},
            build_dir=str(out_dir / "c"),
            quiet=True,
            nthreads=min(4, os.cpu_count() or 1),
        )
        dist = Distribution({"name": "lanwise", "ext_modules": compiled})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(out_dir)
        command.build_temp = str(out_dir / "temp")
        command.ensure_finalized()
        command.run()
    finally:
        os.chdir(old_cwd)
    built: dict[str, Path] = {}
    for module in MODULES:
        package_dir = out_dir.joinpath(*module.split(".")[:-1])
        leaf = module.rpartition(".")[2]
        matches = [*package_dir.glob(f"{leaf}.*.so"), *package_dir.glob(f"{leaf}.*.pyd")]
        if not matches:
            raise RuntimeError(f"no extension file for {module} in {package_dir}")
        built[module] = matches[0]
    return built


class CustomBuildHook(BuildHookInterface):
    """Compiles the hot modules when it can; never breaks an install that can run pure Python."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return  # the sdist ships sources only
        root = Path(self.root)
        manifest = root / MANIFEST
        editable = version == "editable"
        if editable:  # the source tree is the installed package: forget the last build
            manifest.unlink(missing_ok=True)
            for module in MODULES:
                for old in _source(root, module).parent.glob(module.rpartition(".")[2] + ".*.so"):
                    old.unlink()
        self._out_dir: Path | None = None
        if _flag("LANWISE_NO_EXTENSIONS"):
            _say("LANWISE_NO_EXTENSIONS is set: installing pure Python")
            return
        out_dir = self._out_dir = Path(tempfile.mkdtemp(prefix="lanwise-ext-"))
        try:
            built = compile_extensions(root, out_dir)
        except BaseException as exc:  # SystemExit too: setuptools reports compiler failure so
            self.finalize(version, build_data, "")
            if _flag("LANWISE_REQUIRE_EXTENSIONS") or isinstance(exc, KeyboardInterrupt):
                raise
            reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            _say(f"compiling failed ({reason}); installing pure Python")
            return
        hashes = {m: hashlib.sha256(_source(root, m).read_bytes()).hexdigest() for m in built}
        text = json.dumps(hashes, indent=1, sort_keys=True) + "\n"
        if editable:  # the installed package is the source tree itself
            manifest.write_text(text)
            for path in built.values():
                shutil.copy2(path, root / SRC / path.relative_to(out_dir))
        else:
            (out_dir / "_extensions.json").write_text(text)
            build_data["force_include"][str(out_dir / "_extensions.json")] = str(
                MANIFEST.relative_to(SRC)
            )
            for path in built.values():
                build_data["force_include"][str(path)] = str(path.relative_to(out_dir))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        _say(f"compiled {len(built)} modules with Cython: {', '.join(built)}")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out_dir = getattr(self, "_out_dir", None)
        if out_dir is not None:
            shutil.rmtree(out_dir, ignore_errors=True)
            self._out_dir = None
