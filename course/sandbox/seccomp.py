"""A small seccomp filter for the sandbox: system calls a notebook never needs are refused.

Memory that belongs to no process (a ``memfd`` or a System V shared memory segment that is never
mapped) would escape a per-process memory count, and a few kernel interfaces (io_uring, BPF,
userfaultfd, perf, the key rings) are where sandbox escapes usually start. Each is answered with
EPERM, so code that tries one gets an ordinary error. bubblewrap loads the program from a file
descriptor (``--seccomp FD``); this module writes the classic-BPF bytes.
"""

from __future__ import annotations

import platform
import struct

# (machine, AUDIT_ARCH value, {name: number}) for the architectures these machines run.
_TABLES = {
    "x86_64": (0xC000003E, {"memfd_create": 319, "shmget": 29, "io_uring_setup": 425,
                            "userfaultfd": 323, "bpf": 321, "perf_event_open": 298,
                            "keyctl": 250, "add_key": 248, "request_key": 249}),
    "aarch64": (0xC00000B7, {"memfd_create": 279, "shmget": 194, "io_uring_setup": 425,
                             "userfaultfd": 282, "bpf": 280, "perf_event_open": 241,
                             "keyctl": 219, "add_key": 217, "request_key": 218}),
}
REFUSED = tuple(_TABLES["x86_64"][1])

_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_ALLOW, _ERRNO_EPERM, _KILL = 0x7FFF0000, 0x00050000 | 1, 0x80000000
_X32_BIT = 0x40000000


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def supported(machine: str | None = None) -> bool:
    return (machine or platform.machine()) in _TABLES


def program(machine: str | None = None) -> bytes:
    """The filter for this machine (ValueError on an architecture without a table)."""
    machine = machine or platform.machine()
    if machine not in _TABLES:
        raise ValueError(f"no seccomp table for {machine}")
    arch, numbers = _TABLES[machine]
    refused = sorted(numbers.values())
    insns = [_insn(_LD_W_ABS, 0, 0, 4),                      # A = seccomp_data.arch
             _insn(_JEQ_K, 1, 0, arch),                      # our arch: go on
             _insn(_RET_K, 0, 0, _KILL),                     # any other ABI: refuse outright
             _insn(_LD_W_ABS, 0, 0, 0)]                      # A = seccomp_data.nr
    if machine == "x86_64":                                  # the x32 ABI reuses the table
        insns += [_insn(_JGE_K, 0, 1, _X32_BIT), _insn(_RET_K, 0, 0, _ERRNO_EPERM)]
    for i, number in enumerate(refused):
        # jump to the EPERM return at the end when equal; the ALLOW return sits just before it
        to_eperm = len(refused) - i
        insns.append(_insn(_JEQ_K, to_eperm, 0, number))
    insns += [_insn(_RET_K, 0, 0, _ALLOW), _insn(_RET_K, 0, 0, _ERRNO_EPERM)]
    return b"".join(insns)
