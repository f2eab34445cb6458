"""A bank of ways a learner's cell could forge its score.

Each technique is code an answer cell of lesson 01 could hold (the
lesson imports torch, `F`, the checks and the course library). Without
the guard, each would let a wrong answer pass its check, or blind the
grader to an error. `read` is what the grader's reading of the source
names (`grader.tampering`), `guard` what the guard in the kernel names
(`grader.guard`), or None where that layer does not see it; `reported`
is the part of the report the grading cycle test looks for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Technique:
    source: str
    read: str | None
    guard: str | None

    @property
    def reported(self) -> str:
        return self.read or self.guard or ""


TECHNIQUES = {
    "allclose": Technique(
        "torch.allclose = lambda *a, **k: True",
        "rebinds torch.allclose",
        "rebinds allclose of torch",
    ),
    "check-function": Technique(
        "check_mse = lambda *a, **k: None",
        "rebinds check_mse, which the checks use",
        None,  # a name in the notebook, not the library's function
    ),
    "library-alias": Technique(
        "import gaplab.checks.own_work as own\n"
        "own.require_own_work = lambda *a, **k: None",
        "rebinds own.require_own_work",
        "rebinds require_own_work of gaplab.checks.own_work",
    ),
    "library": Technique(
        "import gaplab.checks.losses\n"
        "gaplab.checks.losses.check_mse = lambda *a, **k: None",
        "rebinds gaplab.checks.losses.check_mse",
        "rebinds check_mse of gaplab.checks.losses",
    ),
    "numpy-testing": Technique(
        "import numpy as np\n"
        "np.testing.assert_allclose = lambda *a, **k: None",
        "rebinds np.testing.assert_allclose",
        "rebinds assert_allclose of numpy.testing",
    ),
    "builtins": Technique(
        "import builtins\nbuiltins.abs = lambda x: 0",
        "imports builtins",
        "rebinds abs of builtins",
    ),
    "dunder-builtins": Technique(
        "__builtins__.round = lambda *a: 0",
        "reaches the built-in functions",
        "rebinds round of builtins",
    ),
    "ipython-hooks": Technique(
        "ip = get_ipython()\n"
        "ip.set_custom_exc((Exception,), lambda *a, **k: None)\n"
        "ip.events.register('post_run_cell', "
        "lambda result: setattr(result, 'error_in_exec', None))",
        "sets a custom exception handler",
        "changes IPython's event callbacks",
    ),
    "input-transformer": Technique(
        "get_ipython().input_transformers_cleanup.append(lambda lines: [])",
        "rewrites cells before they run",
        None,  # the guard's own cell is emptied too: "did not report"
    ),
    "trace": Technique(
        "import sys\nsys.settrace(lambda *a: None)",
        "sets a trace function",
        "sets a trace function (sys.settrace)",
    ),
    "excepthook": Technique(
        "import sys\nsys.excepthook = lambda *a: None",
        "replaces the exception hook",
        None,  # no effect: IPython shows a cell's errors itself
    ),
    "exec": Technique(
        "exec('torch.isclose = lambda *a, **k: torch.tensor(True)')",
        "runs code from a string (exec)",
        "rebinds isclose of torch",
    ),
    "sys-modules": Technique(
        "import sys\nsys.modules['torch'].equal = lambda *a, **k: True",
        "reaches loaded modules through sys.modules",
        "rebinds equal of torch",
    ),
    "computed-setattr": Technique(
        "setattr(torch.testing, 'assert' + '_close', lambda *a, **k: None)",
        "setattr on torch.testing",
        "rebinds assert_close of torch.testing",
    ),
    "alias": Technique(
        "library = F\nlibrary.mse_loss = lambda *a, **k: torch.tensor(0.0)",
        None,
        "rebinds mse_loss of torch.nn.functional",
    ),
    "tensor-method": Technique(
        "torch.Tensor.__sub__ = lambda a, b: torch.zeros(())",
        "rebinds torch.Tensor.__sub__",
        "rebinds __sub__ of torch.Tensor",
    ),
    "kernel-reply": Technique(
        "kernel = get_ipython().kernel\n"
        "kernel.send_response = lambda *a, **k: None",
        "reaches into IPython itself",
        None,  # the kernel stops answering: the cell times out
    ),
    "gc-walk": Technique(
        "import gc\nfrozen = gc.get_objects()",
        "imports gc",
        "walks the garbage collector's objects",
    ),
    "history": Technique(
        "print(In)",
        "reads IPython's cell history (In)",
        None,
    ),
    "frames": Technique(
        "import sys\ncaller = sys._getframe(0).f_back",
        "reads the calling frames",
        None,
    ),
    "magic": Technique(
        "%xmode Minimal",
        "runs the IPython magic %xmode",
        None,
    ),
    "shell": Technique(
        "!true",
        "runs a shell command (!)",
        None,
    ),
}
