"""Runs inside the sandbox: set hard resource limits, copy the submission to work in, start the kernel.

Hard limits set here cannot be raised again by the kernel: it has no capabilities in the sandbox's
user namespace.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys

from course.sandbox.bwrap import SUBMISSION, WORK

MB = 1 << 20


def set_limits(args) -> None:
    limits = {
        resource.RLIMIT_CPU: (args.cpu, args.cpu),
        resource.RLIMIT_AS: (args.memory_mb * MB, args.memory_mb * MB),
        resource.RLIMIT_NPROC: (args.nproc, args.nproc),
        resource.RLIMIT_FSIZE: (args.file_mb * MB, args.file_mb * MB),
        resource.RLIMIT_NOFILE: (args.open_files, args.open_files),
        resource.RLIMIT_CORE: (0, 0),
    }
    for which, value in limits.items():
        resource.setrlimit(which, value)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    for name in ("cpu", "memory-mb", "nproc", "file-mb", "open-files"):
        parser.add_argument(f"--{name}", type=int, required=True)
    parser.add_argument("kernel", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    kernel = args.kernel[1:] if args.kernel[:1] == ["--"] else args.kernel
    # The kernel works on a copy in the private tmpfs: nothing it writes reaches the host.
    shutil.copytree(SUBMISSION, WORK, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    os.chdir(WORK)
    set_limits(args)
    os.execv(kernel[0], kernel)


if __name__ == "__main__":
    sys.exit(main())
