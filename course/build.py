"""``course build``: generate the item cells of source/, then release/ with nbgrader, reproducibly.

First each source notebook's item cells are written afresh from the items' specs and the
instructor's keys (``course.cells``). Then nbgrader generates the student versions in a scratch
copy of the course, so that building never touches the instructor's gradebook or submissions, and
they are copied into ``release/``. Running it twice changes no byte, which is what lets CI check
that neither the item cells nor release/ have drifted.

``course build --gradebook`` does the opposite: nbgrader on the real course, so that its gradebook
records the modules for grading, with its output sent to a temporary folder instead of release/.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from course import cells, content, course_config, keys, notebooks


class BuildError(RuntimeError):
    pass


#: Appended to a scratch course's config. Set, not unset: a db_url from a Jupyter config folder
#: (read before the course's file) would otherwise come back. Found from the file's own place, not
#: written as a path: tests and the bench copy scratch courses, and each copy keeps its own.
SCRATCH_GRADEBOOK = (
    "\n# course: a scratch course keeps a gradebook of its own, beside this file\n"
    "import os as _os\n"
    "c.CourseDirectory.db_url = 'sqlite:///' + _os.path.join(\n"
    "    _os.path.dirname(_os.path.abspath(__file__)), 'gradebook.db')\n")


def scratch_course(root: Path, dest: Path, folders: list[str]) -> Path:
    """A minimal course directory: the config, the header and the chosen source folders.

    Its gradebook is its own: the copied config may name the class's database (a PostgreSQL
    gradebook on the hub), and a build, `course check` or `course demo` must never write into it.
    """
    shutil.copy(root / "nbgrader_config.py", dest / "nbgrader_config.py")
    with open(dest / "nbgrader_config.py", "a", encoding="utf-8") as config:
        config.write(SCRATCH_GRADEBOOK)
    (dest / "source").mkdir()
    shutil.copy(root / "source" / "header.ipynb", dest / "source" / "header.ipynb")
    for folder in folders:
        shutil.copytree(root / "source" / folder, dest / "source" / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*_answers.json"))
    return dest


def scripts_first(env: dict) -> dict:
    """nbgrader runs helpers such as `alembic` by name: put this environment's scripts first."""
    scripts = str(Path(sys.executable).parent)
    if env.get("PATH", "").split(os.pathsep)[0] != scripts:
        env["PATH"] = os.pathsep.join([scripts, env.get("PATH", "")])
    return env


def nbgrader(course_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real nbgrader CLI on ``course_dir`` (it reads that directory's nbgrader_config.py).

    The course directory is also given on the command line, which beats every config file:
    nbgrader reads the Jupyter config folders too, and an instructor's server on the hub has one
    that sets ``c.CourseDirectory.root`` to the real course (deploy/jupyter-config/instructors), so
    the cwd alone would send a scratch build's nbgrader to work on the real course.
    """
    env = scripts_first({**os.environ, **course_config.STRICT_CONFIG_ENV})
    root = f"--CourseDirectory.root={Path(course_dir).resolve()}"
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args, root], cwd=course_dir,
                          capture_output=True, text=True, env=env)
    if check and proc.returncode != 0:
        raise BuildError(f"nbgrader {' '.join(args)} failed in {course_dir}:\n{proc.stderr[-3000:]}")
    return proc


#: What must never reach release/: the instructor's keys and saved widget clicks.
SECRET_PATTERNS = ("keys.toml", "*_answers.json")


def secrets_in(folder: Path) -> list[Path]:
    return sorted(p for pattern in SECRET_PATTERNS for p in folder.rglob(pattern))


def generate(root: Path, out: Path, folders: list[str]) -> None:
    """Generate the student versions of ``folders`` into ``out/<folder>/``."""
    course_config.load(root)  # a broken config stops here, with its error, not inside nbgrader
    with tempfile.TemporaryDirectory(prefix="course-build-") as tmp:
        course_dir = scratch_course(root, Path(tmp), folders)
        for folder in folders:
            nbgrader(course_dir, "generate_assignment", folder, "--force")
            if not (course_dir / "release" / folder).is_dir():
                raise BuildError(
                    f"nbgrader generate_assignment {folder} wrote no release/{folder} in the "
                    f"scratch course {course_dir}, so nothing was written. A Jupyter config "
                    "file (`jupyter --paths` lists their folders) that sets c.CourseDirectory."
                    "root, release_directory or directory_structure sends nbgrader elsewhere: "
                    "move that setting out of the way and run again.")
        # Checked here too, not only by nbgrader's ignore list: that list lives in the config.
        leaked = [p for folder in folders for p in secrets_in(course_dir / "release" / folder)]
        if leaked:
            names = ", ".join(str(p.relative_to(course_dir)) for p in leaked)
            raise BuildError(
                f"nbgrader put {names} into release/: the instructor's keys must never reach "
                "students, so nothing was written. Check c.CourseDirectory.ignore in "
                "nbgrader_config.py (course.nbgrader_ext.configure sets it).")
        for folder in folders:
            target = out / folder
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(course_dir / "release" / folder, target)


def selected(root: Path, names: list[str] | None) -> list[str]:
    folders = [m["folder"] for m in notebooks.modules_in(root)]
    if not names:
        return folders
    unknown = [n for n in names if n not in folders]
    if unknown:
        raise BuildError(f"No module folder {unknown[0]!r} in source/. Modules: {', '.join(folders)}")
    return names


def sync_sources(root: Path, folders: list[str], write: bool = True) -> list[str]:
    """Regenerate the item cells of each module's source notebook; the notebooks that changed
    (written when ``write``, else only named)."""
    changed = []
    for module in notebooks.modules_in(root):
        if module["folder"] not in folders:
            continue
        path = notebooks.source_notebook(root, module)
        nb = notebooks.read(path)
        fresh = cells.sync(nb, module, keys.load(root, module))
        if nbformat.writes(fresh) != nbformat.writes(nb):
            changed.append(f"source/{module['folder']}/{path.name}")
            if write:
                nbformat.write(fresh, str(path))
    return changed


README_START = "<!-- modules: the table below is written by `course build` from the catalogue -->"
README_END = "<!-- modules: end -->"


def module_table() -> str:
    """The README's table of modules, from the themes catalogue (never listed by hand)."""
    lines = ["| module | folder | what it covers |", "| --- | --- | --- |"]
    for m in content.modules():
        themes = "; ".join(t["title"][0].lower() + t["title"][1:] for t in content.themes(m["id"]))
        lines.append(f"| {m['id'][1:]} | `{m['folder']}` | **{m['title']}**: {themes} |")
    return "\n".join(lines)


def sync_readme(root: Path, write: bool = True) -> bool:
    """Rewrite the module table between the README's markers; True when it changed."""
    path = Path(root) / "README.md"
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    fresh = text[:start + len(README_START)] + "\n" + module_table() + "\n" + text[end:]
    if fresh != text and write:
        path.write_text(fresh, encoding="utf-8")
    return fresh != text


def build(root: Path, names: list[str] | None = None) -> list[str]:
    folders = selected(root, names)
    sync_sources(root, folders)
    sync_readme(root)
    generate(root, root / "release", folders)
    return folders


def record_in_gradebook(root: Path, names: list[str] | None = None) -> list[str]:
    """Record modules in the course's own gradebook, for grading: ``course build --gradebook``.

    nbgrader learns an assignment's notebooks, tests and points only by generating it, and a
    plain ``generate_assignment`` skips an assignment whose release/ folder exists (release/ is
    committed) while ``--force`` would rewrite release/ and copy any answers saved while trying
    the source notebook into it. So nbgrader generates on the real course with ``--force`` into a
    temporary release folder: the gradebook gets the assignment, release/ and source/ stay as
    they are.
    """
    from nbgrader.api import MissingEntry

    from course import gradebook as gbk

    folders = selected(root, names)
    stale = sync_sources(root, folders, write=False)
    if stale:
        raise BuildError(f"{', '.join(stale)}: its item cells differ from course/content and "
                         "keys.toml, so the gradebook would record other tests than release/ was "
                         "built with. Run `course build` first (then commit release/).")
    cfg = course_config.load(root)
    with tempfile.TemporaryDirectory(prefix="course-gradebook-") as tmp:
        for folder in folders:
            nbgrader(root, "generate_assignment", folder, "--force",
                     f"--CourseDirectory.release_directory={tmp}")
    with gbk.open_gradebook(cfg.db_url, cfg.course_id) as gb:
        for folder in folders:
            try:
                recorded = bool(gb.find_assignment(folder).notebooks)
            except MissingEntry:
                recorded = False
            if not recorded:
                raise BuildError(f"nbgrader generate_assignment {folder} ran, but the gradebook "
                                 f"{gbk.shown(cfg.db_url)} holds no notebook of {folder}.")
    return folders


def drift(root: Path, names: list[str] | None = None) -> list[str]:
    """Files in release/ that differ from a fresh build (empty when release/ is in sync)."""
    folders = selected(root, names)
    problems = [f"{name}: its item cells differ from course/content and keys.toml (run `course "
                "build`; never edit generated cells by hand)"
                for name in sync_sources(root, folders, write=False)]
    if sync_readme(root, write=False):
        problems.append("README.md: its table of modules differs from the catalogue (run "
                        "`course build`)")
    with tempfile.TemporaryDirectory(prefix="course-drift-") as tmp:
        fresh = Path(tmp)
        generate(root, fresh, folders)
        for folder in folders:
            problems += _compare(fresh / folder, root / "release" / folder, f"release/{folder}")
        extra = {p.name for p in (root / "release").iterdir() if p.is_dir()} - set(
            m["folder"] for m in notebooks.modules_in(root))
        problems += [f"release/{name}: no such module in source/" for name in sorted(extra)]
        return problems


def _compare(fresh: Path, committed: Path, label: str) -> list[str]:
    if not committed.exists():
        return [f"{label}: missing (run `course build`)"]
    cmp = filecmp.dircmp(fresh, committed)
    problems = [f"{label}/{n}: missing" for n in cmp.left_only]
    problems += [f"{label}/{n}: not generated from source/" for n in cmp.right_only]
    problems += [f"{label}/{n}: differs from source/" for n in cmp.diff_files]
    _, mismatch, errors = filecmp.cmpfiles(fresh, committed, cmp.common_files, shallow=False)
    problems += [f"{label}/{n}: differs from source/" for n in mismatch if n not in cmp.diff_files]
    problems += [f"{label}/{n}: unreadable" for n in errors]
    return problems
