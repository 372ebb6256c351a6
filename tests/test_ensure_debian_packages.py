"""scripts/ensure-debian-packages (run by `make test`): never waits for a terminal or a password.

The script runs against stand-ins for dpkg-query, id, sudo and apt-get that record how they were
called, on a PATH that holds nothing else, with no standard input.
"""

import os
import shutil
import subprocess

import pytest

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "ensure-debian-packages"
STUBS = {
    "dpkg-query": 'for p in $STUB_INSTALLED; do [[ $p == "${@: -1}" ]] && '
                  'echo -n "install ok installed" && exit 0; done; exit 1',
    "id": "echo $STUB_UID",
    "sudo": 'if [[ $STUB_SUDO == password ]]; then echo "sudo: a password is required" >&2; exit 1; fi\n'
            'echo "sudo $*" >> "$STUB_LOG"; shift; exec "$@"',
    "apt-get": '[[ -t 0 ]] && tty=terminal || tty=none\n'
               'echo "apt-get $* DEBIAN_FRONTEND=$DEBIAN_FRONTEND stdin=$tty" >> "$STUB_LOG"\n'
               'exit ${STUB_APT_RC:-0}',
}


@pytest.fixture()
def machine(tmp_path):
    """A PATH of stand-ins (and bash, grep, env, true); returns a function that runs the script on it."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("bash", "grep", "env", "true"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    for name, body in STUBS.items():
        (bin_ / name).write_text(f"#!{shutil.which('bash')}\n{body}\n")
        (bin_ / name).chmod(0o755)
    log = tmp_path / "log"

    def run(*packages, installed="", uid=1000, sudo="ok", apt_rc=0, without=()):
        for tool in without:
            (bin_ / tool).unlink()
        env = {"PATH": str(bin_), "STUB_INSTALLED": installed, "STUB_UID": str(uid),
               "STUB_SUDO": sudo, "STUB_APT_RC": str(apt_rc), "STUB_LOG": str(log)}
        proc = subprocess.run([str(SCRIPT), *packages], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=30)
        calls = log.read_text().splitlines() if log.exists() else []
        return proc, calls

    return run


def test_nothing_happens_when_everything_is_installed(machine):
    proc, calls = machine("bubblewrap", "chromium", installed="bubblewrap chromium", uid=0)
    assert proc.returncode == 0 and calls == [] and proc.stdout == ""


def test_root_installs_only_what_is_missing_without_a_prompt(machine):
    proc, calls = machine("bubblewrap", "chromium", installed="bubblewrap", uid=0)
    assert proc.returncode == 0, proc.stderr
    assert len(calls) == 2 and calls[0].startswith("apt-get ") and " update " in calls[0]
    assert " install -y -qq --no-install-recommends chromium " in calls[1]
    assert all("DEBIAN_FRONTEND=noninteractive stdin=none" in c for c in calls)


def test_passwordless_sudo_is_used_non_interactively(machine):
    proc, calls = machine("chromium", uid=1000, sudo="ok")
    assert proc.returncode == 0, proc.stderr
    assert [c.split()[:3] for c in calls if c.startswith("sudo")] == [
        ["sudo", "-n", "true"], ["sudo", "-n", "env"], ["sudo", "-n", "env"]]
    assert sum(c.startswith("apt-get") and "DEBIAN_FRONTEND=noninteractive stdin=none" in c
               for c in calls) == 2


@pytest.mark.parametrize("sudo, without", [("password", ()), ("ok", ("sudo",))])
def test_without_root_it_says_exactly_what_to_run(machine, sudo, without):
    proc, calls = machine("postgresql", "chromium", uid=1000, sudo=sudo, without=without)
    assert proc.returncode == 1 and calls == []
    assert ("sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y "
            "--no-install-recommends postgresql chromium") in proc.stderr
    assert "needs root" in proc.stderr


def test_a_failed_install_says_what_to_run(machine):
    proc, calls = machine("chromium", uid=0, apt_rc=100)
    assert proc.returncode == 1 and len(calls) == 1
    assert "apt-get update failed" in proc.stderr and "apt-get install -y" in proc.stderr


def test_a_machine_without_apt_is_told_so(machine):
    proc, _ = machine("chromium", uid=0, without=("apt-get",))
    assert proc.returncode == 1 and "apt-get is not on this machine" in proc.stderr


def test_the_makefile_passes_its_packages():
    makefile = (ROOT / "Makefile").read_text()
    assert "scripts/ensure-debian-packages $(SYSTEM_PACKAGES)" in makefile
    assert os.access(SCRIPT, os.X_OK)
