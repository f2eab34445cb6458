"""Each submission's kernel runs in a bubblewrap sandbox.

A learner's notebook is code, run with whatever rights its kernel has.
nbgrader runs the kernel as the instructor, beside the solutions, the
gradebook and every other submission. Here the kernel runs under
bubblewrap (Debian's `bubblewrap`, `bwrap`): a read-only view of the
system, of Python and of the course library; a private /tmp; an empty
home folder that holds only the student's own notebook and is thrown
away afterwards; no network; its own process tree, killed with the
kernel; an unprivileged uid. nbgrader itself, which executes the
notebook and writes the gradebook, stays outside: it talks to the kernel
through Unix sockets in a folder shared with the sandbox, and it builds
the graded notebook from what the kernel sent.

nbgrader uses this kernel manager through `c.Execute.kernel_manager_class`
in grader/nbgrader_config.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

ROOT = Path(__file__).resolve().parent.parent
# What a submission may read, besides the system: Python, the virtual
# environment, the course library and its data sets.
READ_ONLY = (
    Path(sys.base_prefix),
    Path(sys.prefix),
    ROOT / "gaplab",
    ROOT / "datasets",
)
SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
# Only the files of /etc that Python and its libraries read: /etc as a
# whole holds secrets that the sandbox's uid mapping could expose.
SYSTEM_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/alternatives",
    "/etc/fonts",
)
HOME = "/home/learner"
GUARD = Path(__file__).resolve().parent / "guard.py"
GUARD_INSIDE = "/opt/gaplab/guard.py"
UNPRIVILEGED_ID = "65534"  # `nobody`
# The environment a kernel gets: what Python, Jupyter and the maths
# libraries read. Nothing else from the grader's environment (a database
# password, say) crosses into the sandbox.
PASSED_ENVIRONMENT = (
    "LANG",
    "LC_ALL",
    "TZ",
    "PYTHONHASHSEED",
    "PYTHONIOENCODING",
    "PYTHONUNBUFFERED",
    "MPLBACKEND",
)
PASSED_PREFIXES = ("JPY_", "PYDEVD_")
INSTALL_HINT = (
    "install bubblewrap (Debian or Ubuntu: `sudo apt-get install "
    "bubblewrap`; Fedora: `sudo dnf install bubblewrap`) and make sure "
    "unprivileged user namespaces are allowed (`sysctl "
    "kernel.unprivileged_userns_clone=1` where that setting exists), or run "
    "the grader inside a container; see docs/INSTRUCTOR_GUIDE.md"
)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces here."""


def threads_per_kernel() -> int:
    """How many threads each kernel's maths libraries may use: the cores
    shared out among the kernels that run at once (GAPLAB_GRADER_JOBS)."""
    jobs = int(os.environ.get("GAPLAB_GRADER_JOBS", "1"))
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def system_arguments() -> list[str]:
    """bwrap arguments that show the system read-only: its folders, or the
    symbolic links that stand for them (merged /usr), and a few files of
    /etc."""
    arguments = []
    for folder in SYSTEM_FOLDERS:
        path = Path(folder)
        if path.is_symlink():
            arguments += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            arguments += ["--ro-bind", folder, folder]
    for name in SYSTEM_FILES:
        arguments += ["--ro-bind-try", name, name]
    return arguments


def kernel_environment(environment: dict[str, str]) -> list[str]:
    """bwrap arguments that give the kernel a clean environment: the
    variables Python and Jupyter need, a private home, and a thread
    count that keeps parallel kernels off each other's cores."""
    kept = {
        name: value
        for name, value in environment.items()
        if name in PASSED_ENVIRONMENT or name.startswith(PASSED_PREFIXES)
    }
    threads = str(threads_per_kernel())
    kept.update(
        HOME=HOME,
        PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
        MPLCONFIGDIR="/tmp/matplotlib",
        OMP_NUM_THREADS=threads,
        MKL_NUM_THREADS=threads,
    )
    arguments = ["--clearenv"]
    for name, value in sorted(kept.items()):
        arguments += ["--setenv", name, value]
    return arguments


def bwrap_command(
    kernel_command: list[str],
    runtime: Path,
    home: Path,
    environment: dict[str, str],
) -> list[str]:
    """The command that runs `kernel_command` in the sandbox.

    `runtime` holds the connection file and the kernel's sockets, at the
    same path inside as outside; `home` becomes the kernel's home and
    working folder, the only place it can write that outlives a cell
    (until the kernel ends).
    """
    arguments = ["bwrap", "--unshare-all", "--die-with-parent"]
    arguments += ["--new-session", "--cap-drop", "ALL"]
    arguments += ["--uid", UNPRIVILEGED_ID, "--gid", UNPRIVILEGED_ID]
    # The private /tmp first: the course may itself live under /tmp (a
    # fresh clone in CI), and a later tmpfs would hide its binds.
    arguments += ["--proc", "/proc", "--dev", "/dev"]
    arguments += ["--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
    arguments += system_arguments()
    for path in READ_ONLY:
        arguments += ["--ro-bind", str(path), str(path)]
    arguments += ["--ro-bind", str(GUARD), GUARD_INSIDE]
    arguments += ["--bind", str(runtime), str(runtime)]
    arguments += ["--bind", str(home), HOME, "--chdir", HOME]
    arguments += kernel_environment(environment)
    return [*arguments, "--", *kernel_command]


def check_sandbox() -> None:
    """Raise SandboxUnavailable, saying what to do, unless bubblewrap can
    run a command in a sandbox like the kernels' on this machine."""
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "the grader runs every submission in a sandbox, and bubblewrap "
            f"(bwrap) is not installed: {INSTALL_HINT}"
        )
    with tempfile.TemporaryDirectory() as folder:
        command = bwrap_command(
            [sys.executable, "-c", "pass"], Path(folder), Path(folder), {}
        )
        trial = subprocess.run(command, capture_output=True, text=True)
    if trial.returncode != 0:
        raise SandboxUnavailable(
            "bubblewrap cannot create a sandbox on this machine "
            f"({trial.stderr.strip() or f'exit {trial.returncode}'}): "
            f"{INSTALL_HINT}"
        )


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in the sandbox described above,
    each in a fresh folder with a copy of the notebook's own folder."""

    _sandbox_folder: Path | None = None

    async def _async_pre_start_kernel(
        self, **kw: Any
    ) -> tuple[list[str], dict[str, Any]]:
        self._sandbox_folder = Path(tempfile.mkdtemp(prefix="gaplab-kernel-"))
        runtime = self._sandbox_folder / "runtime"
        home = self._sandbox_folder / "home"
        runtime.mkdir()
        notebook_folder = kw.get("cwd")
        if notebook_folder:
            shutil.copytree(notebook_folder, home)
        else:
            home.mkdir()
        # Unix sockets in a shared folder: the sandbox has no network.
        self.transport = "ipc"
        self.connection_file = str(runtime / "kernel.json")
        self.ip = str(runtime / "kernel-ipc")
        kernel_command, kw = await super()._async_pre_start_kernel(**kw)
        # A signal sent to bwrap does not reach the kernel in its own PID
        # namespace; an interrupt request on the control channel does, so
        # a cell past the time limit is stopped and the rest still run.
        self.kernel_spec.interrupt_mode = "message"
        kernel_command.append(f"--IPKernelApp.exec_files={GUARD_INSIDE}")
        kw["cwd"] = str(home)
        # The kernel's own console messages (its connection details) are
        # not the instructor's business; its errors still reach stderr.
        kw["stdout"] = subprocess.DEVNULL
        command = bwrap_command(
            kernel_command, runtime, home, kw.get("env") or dict(os.environ)
        )
        return command, kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._sandbox_folder is not None:
            shutil.rmtree(self._sandbox_folder, ignore_errors=True)
            self._sandbox_folder = None
