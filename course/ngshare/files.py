"""A folder as ngshare carries it, ``[{"path": "a/b.ipynb", "content": <base64>}, ...]``, and back.

Packing reads the regular files and real folders of a folder only (``course.safe_files.scan``:
links, pipes and devices are never opened), within the course's bounds. Unpacking writes what a
server sent into a folder of its own, trusting nothing in it: every path must be plain and
relative (no absolute path, no ``..``, ``.`` or empty part) and no deeper than the bounds allow;
every file and the whole must fit the size bounds; only regular files and folders are made,
never through a link and never over a file already written. What is left out is listed, with
the reason, for the log.
"""

from __future__ import annotations

import binascii
import fnmatch
import os
import stat
from base64 import b64encode
from pathlib import Path

from course.safe_files import Bounds, Scan, read_regular, scan


def size(n: int) -> str:
    """A size limit in words, in nbgrader's decimal units: "2,000 bytes", "100 MB"."""
    return f"{n / 1e6:,.0f} MB" if n >= 1_000_000 else f"{n:,} bytes"


class Globs:
    """File-name globs (nbgrader's ``CourseDirectory.ignore``), usable as ``name in globs``."""

    def __init__(self, patterns):
        self.patterns = tuple(patterns)

    def __contains__(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, p) for p in self.patterns)


def pack(folder: str | os.PathLike, bounds: Bounds, ignore=(), include=("*",)) -> tuple[list, Scan]:
    """The entries ngshare stores for ``folder``, and what was left out (``Scan.ignored``)."""
    ignored, included = Globs(ignore), Globs(include)

    def keep(rel: str) -> bool:
        name = os.path.basename(rel)
        return name in included and name not in ignored

    found = scan(folder, bounds, skip=ignored, keep=keep)
    entries = []
    for rel, _size in found.files:
        data = read_regular(Path(folder) / rel, bounds.file_bytes)
        entries.append({"path": Path(rel).as_posix(), "content": b64encode(data).decode("ascii")})
    return entries, found


def path_problem(path, depth: int) -> str | None:
    """Why ``path`` (from a server) may not be written under a folder, or None when it may."""
    if not isinstance(path, str) or not path:
        return "has no file name"
    if "\x00" in path or "\\" in path:
        return "has a character no file name may hold"
    if path.startswith("/"):
        return "is an absolute path"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "is not a plain relative path"
    if len(parts) - 1 > depth:
        return f"is more than {depth} folders deep"
    return None


def unpack(entries, dest: str | os.PathLike, bounds: Bounds, reserved=()) -> Scan:
    """Write ``entries`` into ``dest`` (made if missing) within ``bounds``.

    ``reserved`` names top-level files that the exchange writes itself (a submission's
    timestamp): an entry claiming one is left out.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    found = Scan()
    if not isinstance(entries, list):
        found.ignored.append((".", "is not a list of files"))
        return found
    total = 0
    for number, entry in enumerate(entries, 1):
        path = entry.get("path") if isinstance(entry, dict) else None
        label = path if isinstance(path, str) and path else f"entry {number}"
        content = entry.get("content") if isinstance(entry, dict) else None
        why = path_problem(path, bounds.depth)
        if number > bounds.entries:
            why = f"is beyond the first {bounds.entries} entries"
        elif why is None and path in reserved:
            why = "is written by the exchange itself, not taken from the submission"
        elif why is None and not isinstance(content, str):
            why = "has no content"
        elif why is None and len(content) * 3 // 4 > bounds.file_bytes + 3:
            why = f"is larger than {size(bounds.file_bytes)}"
        if why:
            found.ignored.append((label[:200], why))
            continue
        try:
            data = binascii.a2b_base64(content)
        except (binascii.Error, ValueError):
            found.ignored.append((label, "is not valid base64"))
            continue
        if len(data) > bounds.file_bytes:
            found.ignored.append((label, f"is larger than {size(bounds.file_bytes)}"))
        elif total + len(data) > bounds.total_bytes:
            found.ignored.append((label, f"would take the whole past {size(bounds.total_bytes)}"))
        else:
            why = write_new(dest, path, data, found)
            if why:
                found.ignored.append((label, why))
            else:
                total += len(data)
                found.files.append((path, len(data)))
    found.files.sort()
    found.folders.sort()
    return found


def write_new(dest: Path, path: str, data: bytes, found: Scan) -> str | None:
    """Write one new regular file at ``dest/path``; the reason when it cannot be."""
    parts = path.split("/")
    folder = dest
    for depth, part in enumerate(parts[:-1], 1):
        folder = folder / part
        try:
            folder.mkdir()
            found.folders.append("/".join(parts[:depth]))
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(folder).st_mode):
                return "lies inside a name that is already a file"
        except OSError as err:
            return f"could not be written ({err.strerror or err})"
    try:
        fd = os.open(folder / parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        return "appears twice"
    except OSError as err:
        return f"could not be written ({err.strerror or err})"
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return None
