"""Small seccomp filters for the sandbox: system calls a notebook never needs are refused.

Memory that belongs to no process (a ``memfd`` or a System V shared memory segment that is never
mapped) would escape a per-process memory count, and a few kernel interfaces (io_uring, BPF,
userfaultfd, perf, the key rings) are where sandbox escapes usually start, and inotify draws on a
quota the whole host shares. Each is answered with
EPERM, so code that tries one gets an ordinary error. bubblewrap loads ``program()`` from a file
descriptor (``--seccomp FD``); this module writes the classic-BPF bytes.

A warm kernel (``course.sandbox.zygote``) makes its own namespaces and mounts, then loads
``student_program()`` on top with ``load()``: no further namespaces or mounts, so the student
cannot undo what was set up (for a cold kernel, bubblewrap's ``--disable-userns`` does that).
"""

from __future__ import annotations

import ctypes
import platform
import struct

# (AUDIT_ARCH value, {name: number}) for the architectures these machines run.
_TABLES = {
    "x86_64": (0xC000003E, {"memfd_create": 319, "shmget": 29, "io_uring_setup": 425,
                            "userfaultfd": 323, "bpf": 321, "perf_event_open": 298,
                            "keyctl": 250, "add_key": 248, "request_key": 249,
                            "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
                            "pivot_root": 155, "chroot": 161, "open_tree": 428,
                            "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
                            "fspick": 433, "mount_setattr": 442, "clone": 56, "clone3": 435,
                            "inotify_init": 253, "inotify_init1": 294}),
    "aarch64": (0xC00000B7, {"memfd_create": 279, "shmget": 194, "io_uring_setup": 425,
                             "userfaultfd": 282, "bpf": 280, "perf_event_open": 241,
                             "keyctl": 219, "add_key": 217, "request_key": 218,
                             "unshare": 97, "setns": 268, "mount": 40, "umount2": 39,
                             "pivot_root": 41, "chroot": 51, "open_tree": 428, "move_mount": 429,
                             "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
                             "mount_setattr": 442, "clone": 220, "clone3": 435,
                             "inotify_init1": 26}),   # (no inotify_init on this architecture)
}
#: Refused in every sandbox (those an architecture has). inotify: a kernel of a grader running as
#: root would draw on root's host-wide quota of inotify instances (128), which it could exhaust.
REFUSED = ("memfd_create", "shmget", "io_uring_setup", "userfaultfd", "bpf", "perf_event_open",
           "keyctl", "add_key", "request_key", "inotify_init", "inotify_init1")
#: Refused, in a warm kernel, once its own namespaces and mounts are made.
NO_MORE_NAMESPACES = ("unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree",
                      "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr")
#: clone() flags that make namespaces (refused with them; threads and forks are fine).
NAMESPACE_FLAGS = 0x7E020000

_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _KILL = 0x7FFF0000, 0x80000000
_ERRNO_EPERM, _ERRNO_ENOSYS = 0x00050000 | 1, 0x00050000 | 38
_X32_BIT = 0x40000000
_ARG0_LOW = 16   # seccomp_data.args[0], its low word on these little-endian machines


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def supported(machine: str | None = None) -> bool:
    return (machine or platform.machine()) in _TABLES


def _numbers(machine: str | None) -> tuple[str, dict]:
    machine = machine or platform.machine()
    if machine not in _TABLES:
        raise ValueError(f"no seccomp table for {machine}")
    return machine, _TABLES[machine][1]


def _prologue(machine: str) -> list[bytes]:
    insns = [_insn(_LD_W_ABS, 0, 0, 4),                      # A = seccomp_data.arch
             _insn(_JEQ_K, 1, 0, _TABLES[machine][0]),       # our arch: go on
             _insn(_RET_K, 0, 0, _KILL),                     # any other ABI: refuse outright
             _insn(_LD_W_ABS, 0, 0, 0)]                      # A = seccomp_data.nr
    if machine == "x86_64":                                  # the x32 ABI reuses the table
        insns += [_insn(_JGE_K, 0, 1, _X32_BIT), _insn(_RET_K, 0, 0, _ERRNO_EPERM)]
    return insns


def _refusing(numbers: list[int]) -> list[bytes]:
    """Jump to the EPERM return at the end for each number; the ALLOW return sits just before."""
    insns = [_insn(_JEQ_K, len(numbers) - i, 0, n) for i, n in enumerate(numbers)]
    return insns + [_insn(_RET_K, 0, 0, _ALLOW), _insn(_RET_K, 0, 0, _ERRNO_EPERM)]


def program(machine: str | None = None) -> bytes:
    """The sandbox's filter for this machine (ValueError on an architecture without a table)."""
    machine, numbers = _numbers(machine)
    refused = sorted(numbers[n] for n in REFUSED if n in numbers)
    return b"".join(_prologue(machine) + _refusing(refused))


def student_program(machine: str | None = None) -> bytes:
    """The warm kernel's own layer: no namespaces, no mounts, clone without namespace flags."""
    machine, numbers = _numbers(machine)
    insns = _prologue(machine)
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes the C library fall
    # back to clone, whose flags it can.
    insns += [_insn(_JEQ_K, 0, 1, numbers["clone3"]), _insn(_RET_K, 0, 0, _ERRNO_ENOSYS)]
    insns += [_insn(_JEQ_K, 0, 4, numbers["clone"]),
              _insn(_LD_W_ABS, 0, 0, _ARG0_LOW),
              _insn(_JSET_K, 0, 1, NAMESPACE_FLAGS),
              _insn(_RET_K, 0, 0, _ERRNO_EPERM),
              _insn(_RET_K, 0, 0, _ALLOW)]
    insns += _refusing(sorted(numbers[n] for n in NO_MORE_NAMESPACES))
    return b"".join(insns)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


def load(bpf: bytes) -> None:
    """Install a filter on this process and its future children (sets no_new_privs first)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    buffer = ctypes.create_string_buffer(bpf, len(bpf))
    prog = _SockFprog(len(bpf) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
