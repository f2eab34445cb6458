"""The grader's guard, run inside each graded kernel before the notebook.

`grader.sandbox` starts every kernel with this file (IPython's
`exec_files`), before any of the learner's code. It records the state
that the checks rely on: the course library, torch, numpy and the
built-in functions, the interpreter's hooks, and IPython's own machinery
(event callbacks, input and AST transformers, exception handlers). Before
each graded check cell the grader runs a cell of its own that calls the
guard; the guard prints, with that cell's one-time token, either `ok` or
what has changed since the kernel started. `grader.preprocessors` reads
that line from outside the sandbox and zeroes the check cell when it is
missing or reports a change.

An audit hook (PEP 578: it cannot be removed once added) makes trace and
profile functions, further audit hooks and the garbage collector's
object walks fail, and remembers each attempt.
"""


def _install_guard() -> None:
    """Record the state, add the audit hook, and give the notebook's
    namespace the guard function (`__gaplab_guard__`)."""
    import builtins
    import importlib
    import os
    import pkgutil
    import sys
    import types

    import jupyter_client.session
    import matplotlib.pyplot
    import numpy
    import numpy.testing
    import torch
    import torch._dynamo  # noqa: F401 (see below)
    import torch.nn.functional
    import torch.testing
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelbase import Kernel
    from IPython import get_ipython
    from IPython.core.interactiveshell import InteractiveShell

    import gaplab

    # Done now, because the first time they rebind attributes that are
    # guarded (importing torch._dynamo wraps torch.manual_seed) or add
    # IPython callbacks (the inline backend, at the first figure).
    matplotlib.pyplot.close(matplotlib.pyplot.figure())

    blocked = {
        "sys.settrace": "sets a trace function (sys.settrace)",
        "sys.setprofile": "sets a profile function (sys.setprofile)",
        "sys.addaudithook": "adds an audit hook",
        "gc.get_referrers": "walks the garbage collector's objects",
        "gc.get_referents": "walks the garbage collector's objects",
        "gc.get_objects": "walks the garbage collector's objects",
    }
    attempts: list[str] = []

    # The course's own checks profile the answer they test
    # (gaplab.checks.own_work); the library is read-only in the sandbox.
    library = os.path.dirname(gaplab.__file__) + os.sep

    def from_library() -> bool:
        """Whether the code that raised the event (two frames up: this
        function, then the hook) is the course library's."""
        return sys._getframe(2).f_code.co_filename.startswith(library)

    def audit(event: str, arguments: tuple) -> None:
        if event in blocked and not from_library():
            attempts.append(blocked[event])
            raise PermissionError(
                "grading: a graded notebook may not do this: " + blocked[event]
            )

    course_modules = [gaplab] + [
        importlib.import_module(found.name)
        for found in pkgutil.walk_packages(gaplab.__path__, "gaplab.")
    ]
    shell = get_ipython()
    kernel = shell.kernel
    protected = {
        module.__name__: module
        for module in (
            builtins,
            numpy,
            numpy.testing,
            torch,
            torch.testing,
            torch.nn.functional,
            *course_modules,
        )
    }
    protected |= {
        f"{cls.__module__}.{cls.__qualname__}": cls
        for cls in (
            torch.Tensor,
            torch.nn.Module,
            numpy.ndarray,
            InteractiveShell,
            type(shell),
            IPythonKernel,
            Kernel,
            jupyter_client.session.Session,
        )
    }
    instances = {"the shell": shell, "the kernel": kernel}
    instances["the kernel's session"] = kernel.session
    # IPython rebinds these built-ins itself as it runs cells.
    changing_builtins = {
        "_",
        "__",
        "___",
        "exit",
        "quit",
        "get_ipython",
        "input",
    }

    def attributes(owner: object) -> dict[str, int]:
        return {name: id(value) for name, value in vars(owner).items()}

    watched = protected | instances
    recorded = {label: attributes(owner) for label, owner in watched.items()}
    # Keep every recorded object alive, so that an id stays unique.
    kept = [dict(vars(owner)) for owner in watched.values()]

    def callable_or_gone(owner: object, name: str) -> bool:
        """Whether a changed attribute matters: a function or class that
        was replaced or deleted (a module's or an instance's plain data,
        such as a counter, changes as it runs)."""
        value = vars(owner).get(name)
        return value is None or callable(value)

    def shadows(owner: object, name: str) -> bool:
        """Whether a new attribute hides a method that `owner` had from
        its class (an instance) or a base class (a class); a module's
        new attributes are its lazily imported parts."""
        if isinstance(owner, type):
            return any(name in vars(base) for base in owner.__mro__[1:])
        if isinstance(owner, types.ModuleType):
            return False
        return callable(getattr(type(owner), name, None))

    def hooks() -> dict[str, object]:
        return {
            "the exception hook (sys.excepthook)": sys.excepthook,
            "the display hook (sys.displayhook)": sys.displayhook,
            "sys.stdout": sys.stdout,
            "sys.stderr": sys.stderr,
            "a trace function (sys.settrace)": sys.gettrace(),
            "a profile function (sys.setprofile)": sys.getprofile(),
            "IPython's event callbacks": {
                event: tuple(callbacks)
                for event, callbacks in shell.events.callbacks.items()
            },
            "a custom exception handler": shell.custom_exceptions,
            "the input transformers": (
                tuple(shell.input_transformers_cleanup),
                tuple(shell.input_transformers_post),
            ),
            "the AST transformers": tuple(shell.ast_transformers),
        }

    # IPython swaps some hooks in while a cell runs: they are recorded by
    # the first guard cell, which the grader puts before every other cell.
    hooks_in_a_cell: dict[str, object] = {}
    stdout = sys.stdout

    def changes() -> list[str]:
        found = sorted(set(attempts))
        for label, owner in watched.items():
            now = attributes(owner)
            for name, identity in recorded[label].items():
                if label == "builtins" and name in changing_builtins:
                    continue
                if now.get(name) != identity and callable_or_gone(owner, name):
                    found.append(f"rebinds {name} of {label}")
            for name in set(vars(owner)) - set(recorded[label]):
                if shadows(owner, name):
                    found.append(f"rebinds {name} of {label}")
        now = hooks()
        hooks_in_a_cell.update(hooks_in_a_cell or now)
        for label, value in hooks_in_a_cell.items():
            if now[label] != value:
                found.append(f"changes {label}")
        return found

    def guard(token: str) -> None:
        found = changes()
        verdict = "tampering: " + "; ".join(found) if found else "ok"
        stdout.write(f"gaplab guard {token}: {verdict}\n")
        stdout.flush()

    guard.kept = kept  # type: ignore[attr-defined]
    sys.addaudithook(audit)
    shell.user_ns["__gaplab_guard__"] = guard
    shell.user_ns_hidden["__gaplab_guard__"] = guard


_install_guard()
del _install_guard
