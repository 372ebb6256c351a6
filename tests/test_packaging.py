"""Installs that do not drift: what pyproject.toml declares, what lock/ pins, what is installed.

pyproject.toml gives ranges (for `pip install .`); lock/constraints.txt pins the versions the
tests pass with (`make` and CI install them); scripts/refresh-lock (`make lock`) renews it.
"""

import ast
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
TEST = [Requirement(r) for r in PROJECT["optional-dependencies"]["test"]]
#: The extras of the course's optional features (`cluster`: grading on Dask). The package imports
#: them only where the feature starts (tests/test_dask_grading.py: plain `course grade` loads no
#: Dask).
FEATURES = [Requirement(r) for extra, reqs in PROJECT["optional-dependencies"].items()
            if extra != "test" for r in reqs]
LOCK = ROOT / "lock" / "constraints.txt"


def locked() -> dict[str, Version]:
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version and re.fullmatch(r"[A-Za-z0-9._-]+", name), f"not an exact pin: {line}"
            pins[canonicalize_name(name)] = Version(version)
    return pins


def imported_packages(*folders) -> dict[str, set[str]]:
    """Top-level module imported -> the files importing it, leaving out the standard library and
    the repository's own modules (the course package, the tests' helpers)."""
    files = [p for f in folders for p in ((ROOT / f).rglob("*.py") if (ROOT / f).is_dir()
                                          else [ROOT / f])]
    ours = {"course"} | {p.stem for p in ROOT.glob("tests/**/*.py")} | {p.stem for p in files}
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module]
            else:
                continue
            for top in {n.split(".")[0] for n in names} - ours - set(sys.stdlib_module_names):
                found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def undeclared(imports: dict[str, set[str]], declared: list[Requirement]) -> list[str]:
    names = {canonicalize_name(r.name) for r in declared}
    dists = metadata.packages_distributions()
    missing = []
    for module, files in sorted(imports.items()):
        providers = {canonicalize_name(d) for d in dists.get(module, [])}
        if not providers & names:
            missing.append(f"{module} (from {sorted(providers) or 'no installed package'}), "
                           f"imported by {sorted(files)[:3]}")
    return missing


def test_every_package_the_course_imports_is_a_dependency():
    missing = undeclared(imported_packages("course", "nbgrader_config.py"), RUNTIME + FEATURES)
    assert not missing, "declare in pyproject.toml's dependencies:\n" + "\n".join(missing)


def test_every_package_the_tests_import_is_declared():
    missing = undeclared(imported_packages("tests", "bench", "deploy"), RUNTIME + TEST)
    assert not missing, "declare in pyproject.toml's test extra:\n" + "\n".join(missing)


def test_the_import_check_sees_the_imports():
    """A control for the two tests above: it finds what the package is known to import."""
    imports = imported_packages("course")
    assert {"nbgrader", "sqlalchemy", "traitlets", "IPython", "numpy"} <= set(imports)
    assert "course" not in imports and "json" not in imports
    assert undeclared({"yaml": {"x.py"}}, RUNTIME) != []


def test_the_lock_pins_every_declared_package_within_its_range():
    pins = locked()
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    held = [Requirement(line) for line in (ROOT / "lock" / "held-back.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    wrong = []
    for req in RUNTIME + TEST + FEATURES + [Requirement(r) for r in build] + held + \
            [Requirement("pip")]:
        pin = pins.get(canonicalize_name(req.name))
        if pin is None or not req.specifier.contains(pin, prereleases=True):
            wrong.append(f"{req} -> lock has {pin}")
    for req in RUNTIME + TEST:
        for extra in req.extras:  # psycopg[binary] brings psycopg-binary
            if f"{canonicalize_name(req.name)}-{extra}" not in pins:
                wrong.append(f"{req}: no pin for its extra {extra}")
    assert not wrong, ("lock/constraints.txt does not match pyproject.toml; run `make lock`, then "
                       "`make test`, and commit lock/:\n" + "\n".join(wrong))


def test_the_environment_is_the_locked_one():
    """The tests run on the versions the lock names (`make` installs them); else say what to do."""
    differ = []
    for name, version in sorted(locked().items()):
        try:
            installed = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differ.append(f"{name}: locked {version}, installed {installed}")
    assert not differ, ("this environment is not the locked one; `make venv` reinstalls it from "
                        "lock/constraints.txt:\n" + "\n".join(differ))


def test_pip_check_is_clean():
    proc = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_python_floor_is_what_the_code_needs():
    """requires-python names the oldest Python that the code runs on: vermin reads every file
    and finds the newest feature used (tomllib: 3.11). A floor too low or too high fails."""
    floor = re.fullmatch(r">=\s*(3\.\d+)", PROJECT["requires-python"]).group(1)
    vermin = Path(sys.executable).parent / "vermin"
    proc = subprocess.run([str(vermin), "--no-tips", "--violations", "--processes", "1",
                           f"-t={floor}-", "course", "tests", "bench", "deploy", "nbgrader_config.py"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"code that needs a newer Python than {floor}:\n{proc.stdout}"
    needed = re.search(r"Minimum required versions: ([\d.]+)", proc.stdout).group(1)
    assert needed == floor, f"the code needs only Python {needed}; requires-python says {floor}"
    assert sys.version_info[:2] >= tuple(map(int, floor.split(".")))


def test_ci_runs_on_the_python_floor():
    """CI (.ci/run sets COURSE_TEST_ON_FLOOR=1) tests on the floor itself, so a feature newer than
    the floor cannot pass there unnoticed; elsewhere a newer Python is fine."""
    floor = tuple(map(int, re.fullmatch(r">=\s*(3\.\d+)", PROJECT["requires-python"])
                      .group(1).split(".")))
    if os.environ.get("COURSE_TEST_ON_FLOOR") == "1":
        assert sys.version_info[:2] == floor, (
            f"CI must test on Python {floor[0]}.{floor[1]}, the floor; this is "
            f"{sys.version_info[0]}.{sys.version_info[1]}. Install python{floor[0]}.{floor[1]}.")
