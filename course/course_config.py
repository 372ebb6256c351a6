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


def load(root: str | Path) -> CourseConfig:
    """Run ``root/nbgrader_config.py`` (as nbgrader does) and resolve the folders it sets."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(root).resolve()
    config = Config()
    if (root / "nbgrader_config.py").is_file():
        try:
            config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
        except Exception as err:  # anything the file raises: it is the instructor's code
            path = root / "nbgrader_config.py"
            raise ConfigError(
                f"{path} could not be loaded ({type(err).__name__}: {err}{_line(err, path)}). "
                "Fix it and run again: the course's settings and every grading protection are "
                "set in it, so nothing runs without it.") from err
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
