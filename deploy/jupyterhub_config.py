"""JupyterHub for one class on one machine: students and instructors, nbgrader's exchange.

Run as root: ``jupyterhub -f deploy/jupyterhub_config.py`` (deploy/README.md has every step).
Every hub user is a Unix account on this machine (PAM login, one process per user), so nbgrader
takes each student's id from their own account and the exchange's permissions mean what they say.

Settings that differ between machines come from the environment, each with a default:

  COURSE_HUB_ROSTER      who is in the class         /etc/jupyterhub/roster.toml
  COURSE_HUB_EXCHANGE    nbgrader's exchange folder  /srv/nbgrader/exchange
  COURSE_HUB_COURSE_DIR  the instructors' course     /srv/nbgrader/customer-service-in-security
                         (linked into each instructor's home as ~/customer-service-in-security)
  COURSE_HUB_IP / _PORT  where the hub listens       all interfaces, 8000 (put TLS in front)

Students and instructors get different Jupyter configuration folders (deploy/jupyter-config/),
put first on JUPYTER_CONFIG_PATH when their server starts: students have no Create Assignment or
Formgrader panels and no formgrader server extension; instructors have both, and a
Content-Security-Policy that lets JupyterLab show formgrader in its frame.
"""

import os
import pwd
import tomllib
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

HERE = Path(__file__).resolve().parent
COURSE_ID = "customer-service-in-security"
ROSTER = Path(os.environ.get("COURSE_HUB_ROSTER", "/etc/jupyterhub/roster.toml"))
EXCHANGE = Path(os.environ.get("COURSE_HUB_EXCHANGE", "/srv/nbgrader/exchange"))
COURSE_DIR = Path(os.environ.get("COURSE_HUB_COURSE_DIR", f"/srv/nbgrader/{COURSE_ID}"))
GROUP_CONFIG = {"students": HERE / "jupyter-config" / "students",
                "instructors": HERE / "jupyter-config" / "instructors"}


def read_roster(path: Path) -> dict[str, list[str]]:
    """``instructors = [...]`` and ``students = [...]``: Unix login names, also the hub names."""
    try:
        roster = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"No class roster at {path}: copy deploy/roster.example.toml there "
                         "(or set COURSE_HUB_ROSTER) and list the class.") from None
    groups = {g: sorted(set(roster.get(g, []))) for g in (*GROUP_CONFIG, "admins")}
    both = set(groups["students"]) & set(groups["instructors"])
    if both:
        raise SystemExit(f"{', '.join(sorted(both))} cannot be both student and instructor "
                         f"in {path}: nbgrader would show them the wrong tools.")
    return groups


GROUPS = read_roster(ROSTER)

# -- who may log in, and in which group ---------------------------------------------------------
c.JupyterHub.ip = os.environ.get("COURSE_HUB_IP", "")
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.Authenticator.allowed_users = set(GROUPS["students"]) | set(GROUPS["instructors"])
c.Authenticator.admin_users = set(GROUPS["admins"])
c.JupyterHub.load_groups = {g: {"users": GROUPS[g]} for g in GROUP_CONFIG}
c.Spawner.default_url = "/lab"


# -- the nbgrader exchange: one folder every account can reach, shared as nbgrader expects ------
def ensure_exchange(path: Path) -> None:
    """World-writable with the sticky bit, like /tmp: anyone may add, nobody may remove another's.

    nbgrader then makes each course's outbound (read), inbound (write, no listing) and feedback
    folders with their own modes when an instructor releases the first assignment.
    """
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o1777)


ensure_exchange(EXCHANGE)


# -- per group: the Jupyter configuration folder, and the instructors' course ------------------
def group_of(spawner) -> str:
    names = {g.name for g in spawner.user.groups}
    return "instructors" if "instructors" in names else "students"


def home_of(spawner) -> Path:
    """The user's home: the spawner's own idea of it, else the Unix account's."""
    home = getattr(spawner, "home_dir", None)
    return Path(home) if home else Path(pwd.getpwnam(spawner.user.name).pw_dir)


def link_course_into_home(spawner) -> None:
    """Formgrader needs the course inside the server's root (the home): link it there."""
    link = home_of(spawner) / COURSE_ID
    if not link.exists() and not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(COURSE_DIR, target_is_directory=True)


def pre_spawn_hook(spawner) -> None:
    group = group_of(spawner)
    before = spawner.environment.get("JUPYTER_CONFIG_PATH") or os.environ.get("JUPYTER_CONFIG_PATH")
    spawner.environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(GROUP_CONFIG[group]), before) if p)
    spawner.environment["NBGRADER_EXCHANGE"] = str(EXCHANGE)
    if group == "instructors":
        # nbgrader would otherwise skip a nbgrader_config.py that fails to load, and with it every
        # protection the course sets there (formgrader's Autograde would run unsandboxed).
        spawner.environment["TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR"] = "1"
        link_course_into_home(spawner)


c.Spawner.pre_spawn_hook = pre_spawn_hook
