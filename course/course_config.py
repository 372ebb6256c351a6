"""The course's nbgrader configuration, read once, and the folders it names."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path


class ConfigError(RuntimeError):
    """nbgrader_config.py could not be loaded."""


#: Set for every nbgrader the course starts: nbgrader otherwise logs a broken nbgrader_config.py
#: and carries on without it, i.e. without the course's protections (unsandboxed grading, keys
#: copied into release/).
STRICT_CONFIG_ENV = {"TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR": "1"}


@dataclass
class CourseConfig:
    root: Path
    config: object          # traitlets Config, as nbgrader_config.py leaves it
    db_url: str
    course_id: str | None   # the configured course id (None when the config names none)
    source: Path
    submitted: Path
    autograded: Path
    feedback: Path

    def copy_config(self):
        return copy.deepcopy(self.config)


def _line(err: BaseException, path: Path) -> str:
    """", at line N": where in the config file the error was raised (a SyntaxError says it)."""
    if isinstance(err, SyntaxError):
        return ""
    tb, line = err.__traceback__, None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", at line {line}" if line else ""


#: What nbgrader reads from each Jupyter config folder, in the order it reads them.
JUPYTER_FILES = ("jupyter_config.py", "jupyter_config.json", "nbgrader_config.py",
                 "nbgrader_config.json")


def _read(path: Path, why: str):
    from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

    loader = PyFileConfigLoader if path.suffix == ".py" else JSONFileConfigLoader
    try:
        return loader(path.name, path=str(path.parent)).load_config()
    except Exception as err:  # anything the file raises: it is the instructor's code
        raise ConfigError(f"{path} could not be loaded ({type(err).__name__}: {err}"
                          f"{_line(err, path)}). Fix it and run again: {why}") from err


def jupyter_config():
    """The settings nbgrader reads before the course's own file: its and Jupyter's config files
    in the Jupyter config folders (``jupyter --paths``), the first folder listed winning. On the
    hub an instructor's folder names the course and the exchange; a gradebook URL set there is
    the one formgrader and ``nbgrader autograde`` write to, so ``course grade`` must too."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config

    config = Config()
    folders = list(reversed(jupyter_config_path()))
    for name in JUPYTER_FILES:   # nbgrader's own files over Jupyter's, each folder in turn
        for folder in folders:
            path = Path(folder) / name
            if path.is_file():
                config.merge(_read(path, "nbgrader reads it too, so every nbgrader command "
                                         "would stop on it as well."))
    return config


def load(root: str | Path) -> CourseConfig:
    """Read the settings nbgrader would read for the course at ``root`` (the Jupyter config
    folders', then ``root/nbgrader_config.py``, which wins) and resolve the folders they set.
    The course folder is ``root``, as when nbgrader is given it on its command line, even where
    a Jupyter config folder names another (the real course, when this is a scratch copy)."""
    from nbgrader.coursedir import CourseDirectory

    root = Path(root).resolve()
    config = jupyter_config()
    config.get("CourseDirectory", {}).pop("root", None)
    if (root / "nbgrader_config.py").is_file():
        config.merge(_read(root / "nbgrader_config.py",
                           "the course's settings and every grading protection are set in it, "
                           "so nothing runs without it."))
    coursedir = CourseDirectory(config=config)
    if not coursedir.root or "root" not in config.get("CourseDirectory", {}):
        coursedir.root = str(root)

    def folder(step: str) -> Path:
        return Path(coursedir.format_path(step, ".", ".")).resolve()

    section = config.CourseDirectory if "CourseDirectory" in config else {}
    return CourseConfig(root=Path(coursedir.root).resolve(), config=config, db_url=coursedir.db_url,
                        course_id=section.get("course_id") or None,
                        source=folder(coursedir.source_directory),
                        submitted=folder(coursedir.submitted_directory),
                        autograded=folder(coursedir.autograded_directory),
                        feedback=folder(coursedir.feedback_directory))
