"""Reading a submission's own code for ways to forge its score.

nbgrader scores a check cell from what the kernel reports: no error, full
marks. The kernel runs the learner's code first, so an answer cell can
rebind a check or `torch.allclose`, register an IPython hook that clears
the error, install a trace function or a custom exception handler, or
read the hidden tests back from IPython's history. None of that is needed
to answer an exercise, so the grader reads every cell the learner wrote
(answer cells, and cells they added or edited) before it runs anything,
and names each construct that reaches into the machinery the checks rely
on. `grader.guard` watches the same machinery while the notebook runs,
for what code can do without naming it.

The rules are about names, not about intent: `exec` is flagged because it
hides what code does from this reading, not because it is always wrong.
What the reading cannot see (a module reached through an alias, an
attribute named by a computed string) the guard sees when it runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

# Built-in names that run code the reader cannot see, or reach the
# interpreter's own state.
HIDDEN_CODE_CALLS = {
    "exec": "runs code from a string (exec)",
    "eval": "runs code from a string (eval)",
    "compile": "compiles code from a string (compile)",
    "__import__": "imports a module by a computed name (__import__)",
    "globals": "reads or rewrites the notebook's namespace (globals())",
    "vars": "reads or rewrites a namespace (vars())",
    "breakpoint": "starts a debugger (breakpoint)",
    "get_ipython": "reaches into IPython itself (get_ipython)",
}
HISTORY_NAMES = {"In", "Out", "_ih", "_oh", "_i", "_ii", "_iii", "_"}
# Modules whose only use in an answer is to reach the machinery.
FORBIDDEN_MODULES = {
    "builtins": "imports builtins, where every built-in function lives",
    "ctypes": "imports ctypes, which can rewrite memory",
    "gc": "imports gc, which can find and change any object",
    "inspect": "imports inspect, which reads frames and source",
    "importlib": "imports importlib, which can reload the checks",
    "sys": None,  # allowed; its dangerous attributes are flagged below
    "IPython": "imports IPython, the kernel's own machinery",
    "ipykernel": "imports ipykernel, the kernel's own machinery",
    "jupyter_client": "imports jupyter_client, the kernel's messaging",
    "zmq": "imports zmq, the kernel's messaging",
    "traitlets": "imports traitlets, IPython's configuration",
    "traceback": "imports traceback, which reads the calling frames",
    "linecache": "imports linecache, which holds every cell's source",
    "atexit": "imports atexit, which runs code when the kernel ends",
    "signal": "imports signal, which can interrupt the checks",
    "faulthandler": "imports faulthandler",
    "code": "imports code, an interpreter inside the interpreter",
    "types": "imports types, which builds functions and code objects",
    "pdb": "imports pdb, a debugger",
    "bdb": "imports bdb, a debugger",
    "trace": "imports trace, a trace function",
    "dis": "imports dis, which reads bytecode",
}
# Attributes that exist to hook into or look under the interpreter.
FORBIDDEN_ATTRIBUTES = {
    "settrace": "sets a trace function (settrace)",
    "setprofile": "sets a profile function (setprofile)",
    "excepthook": "replaces the exception hook (excepthook)",
    "displayhook": "replaces the display hook (displayhook)",
    "addaudithook": "adds an audit hook",
    "set_custom_exc": "sets a custom exception handler",
    "events": "registers an IPython event hook",
    "input_transformers_cleanup": "rewrites cells before they run",
    "input_transformers_post": "rewrites cells before they run",
    "ast_transformers": "rewrites cells before they run",
    "showtraceback": "replaces how errors are shown",
    "modules": "reaches loaded modules through sys.modules",
    "meta_path": "changes how modules are imported",
    "path_hooks": "changes how modules are imported",
    "_getframe": "reads the calling frames (sys._getframe)",
    "f_back": "reads the calling frames",
    "f_locals": "reads a frame's variables",
    "f_globals": "reads a frame's globals",
    "f_code": "reads a frame's code",
    "tb_frame": "reads a frame through a traceback",
    "__traceback__": "reads frames through a traceback",
    "__globals__": "reads or rewrites a function's globals",
    "__code__": "reads or rewrites a function's code",
    "__closure__": "reads a function's closure",
    "__builtins__": "reaches the built-in functions",
    "__dict__": "reads or rewrites an object's attributes directly",
    "__subclasses__": "walks the class hierarchy",
    "__self__": "reaches the object behind a bound method",
}
ALLOWED_MAGICS = {"time", "timeit", "matplotlib"}
GUARD_PREFIX = "__gaplab"


@dataclass(frozen=True)
class Finding:
    """One construct in a learner's cell that can forge a score."""

    cell_index: int
    line: int
    technique: str


def python_source(cell_source: str) -> str:
    """The Python that IPython runs for a cell: magics and shell escapes
    become `get_ipython()` calls."""
    return TransformerManager().transform_cell(cell_source)


def import_bindings(node: ast.AST) -> dict[str, str]:
    """Each name one import statement binds, with what it imports; empty
    for any other statement."""
    names = {}
    if isinstance(node, ast.Import):
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            names[bound] = alias.name if alias.asname else bound
    elif isinstance(node, ast.ImportFrom):
        for alias in node.names:
            names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def imported_names(tree: ast.AST) -> dict[str, str]:
    """Each name the imports anywhere in `tree` bind."""
    names = {}
    for node in ast.walk(tree):
        names.update(import_bindings(node))
    return names


def root_name(node: ast.expr) -> str | None:
    """The name an attribute or subscript chain starts from: `torch` for
    `torch.testing.assert_close`."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def dotted(node: ast.expr) -> str:
    """Source text of an expression, for the report."""
    return ast.unparse(node)


def unpacked(target: ast.expr) -> Iterator[ast.expr]:
    """The single targets of a possibly unpacking one (`a, (b, *c)`)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from unpacked(element)
    elif isinstance(target, ast.Starred):
        yield from unpacked(target.value)
    else:
        yield target


def assigned_targets(node: ast.AST) -> Iterator[ast.expr]:
    """The targets a statement assigns to or deletes."""
    if isinstance(node, (ast.Assign, ast.Delete)):
        targets = node.targets
    elif isinstance(
        node,
        (
            ast.AugAssign,
            ast.AnnAssign,
            ast.For,
            ast.AsyncFor,
            ast.comprehension,
            ast.NamedExpr,
        ),
    ):
        targets = [node.target]
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        targets = [node.optional_vars]
    else:
        targets = []
    for target in targets:
        yield from unpacked(target)


def bound_names(node: ast.AST) -> Iterator[str]:
    """Names a statement binds in the namespace it runs in."""
    for target in assigned_targets(node):
        if isinstance(target, ast.Name):
            yield target.id
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name


def magic_findings(node: ast.Call) -> Iterator[str]:
    """What a magic or shell escape does, if it is not a harmless one."""
    method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    arguments = [
        a.value
        for a in node.args
        if isinstance(a, ast.Constant) and isinstance(a.value, str)
    ]
    if method in ("run_line_magic", "run_cell_magic") and arguments:
        if arguments[0] not in ALLOWED_MAGICS:
            yield f"runs the IPython magic %{arguments[0]}"
    elif method == "system" or method == "getoutput":
        yield "runs a shell command (!)"
    else:
        yield HIDDEN_CODE_CALLS["get_ipython"]


class Reader(ast.NodeVisitor):
    """Walks one cell's syntax tree and collects what it finds."""

    def __init__(self, protected: dict[str, str], modules: set[str]) -> None:
        self.protected = protected
        self.modules = modules
        self.found: list[tuple[int, str]] = []
        self.depth = 0  # > 0 inside a function or class body

    def flag(self, node: ast.AST, technique: str) -> None:
        self.found.append((getattr(node, "lineno", 1), technique))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_module(node, alias.name)
        self.check_rebinding(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.check_module(node, node.module or "")
        for alias in node.names:
            if alias.name in FORBIDDEN_ATTRIBUTES:
                self.flag(node, FORBIDDEN_ATTRIBUTES[alias.name])
        self.check_rebinding(node)

    def check_module(self, node: ast.AST, module: str) -> None:
        reason = FORBIDDEN_MODULES.get(module.split(".")[0])
        if reason:
            self.flag(node, reason)

    def check_rebinding(self, node: ast.AST) -> None:
        """Flag a name the checks use (one the lesson imported) that the
        notebook's namespace gets bound to something else; importing it
        again as the lesson does is fine."""
        if self.depth:
            return
        imports = import_bindings(node)
        for name in imports or bound_names(node):
            if name in self.protected and (
                imports.get(name) != self.protected[name]
            ):
                self.flag(node, f"rebinds {name}, which the checks use")

    def visit_scope(self, node: ast.AST) -> None:
        """A function or class: its name is bound here, its body runs in
        a scope of its own."""
        self.check_rebinding(node)
        self.depth += 1
        super().generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_scope
    visit_Lambda = visit_scope

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.protected:
                self.flag(node, f"rebinds {name}, which the checks use")

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(
            node,
            (ast.stmt, ast.comprehension, ast.withitem, ast.NamedExpr),
        ):
            self.check_rebinding(node)
            self.check_attribute_assignment(node)
        super().generic_visit(node)

    def check_attribute_assignment(self, node: ast.AST) -> None:
        """Flag an assignment to an attribute of a module or function the
        lesson imported (`torch.allclose = ...`)."""
        for target in assigned_targets(node):
            if isinstance(target, ast.Attribute):
                if root_name(target) in self.modules:
                    self.flag(node, f"rebinds {dotted(target)}")

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if isinstance(function, ast.Name):
            if function.id in ("setattr", "delattr") and node.args:
                if root_name(node.args[0]) in self.modules:
                    self.flag(node, f"{function.id} on {dotted(node.args[0])}")
            if function.id in ("getattr", "hasattr") and len(node.args) >= 2:
                name = node.args[1]
                if isinstance(name, ast.Constant) and (
                    name.value in FORBIDDEN_ATTRIBUTES
                ):
                    self.flag(node, FORBIDDEN_ATTRIBUTES[name.value])
        if (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Call)
            and isinstance(function.value.func, ast.Name)
            and function.value.func.id == "get_ipython"
        ):
            for technique in magic_findings(node):
                self.flag(node, technique)
            for argument in node.args[1:]:
                self.visit_magic_body(argument)
            return
        self.generic_visit(node)

    def visit_magic_body(self, argument: ast.expr) -> None:
        """Read the code a %time or %%timeit magic runs."""
        if isinstance(argument, ast.Constant) and isinstance(
            argument.value, str
        ):
            try:
                self.visit(ast.parse(python_source(argument.value)))
            except SyntaxError:
                pass

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in HIDDEN_CODE_CALLS:
            self.flag(node, HIDDEN_CODE_CALLS[node.id])
        elif node.id in HISTORY_NAMES or (
            node.id.startswith("_i") and node.id[2:].isdigit()
        ):
            if isinstance(node.ctx, ast.Load) and node.id != "_":
                self.flag(node, f"reads IPython's cell history ({node.id})")
        elif node.id.startswith(GUARD_PREFIX):
            self.flag(node, "touches the grader's guard")
        elif node.id in FORBIDDEN_ATTRIBUTES and node.id.startswith("__"):
            self.flag(node, FORBIDDEN_ATTRIBUTES[node.id])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, FORBIDDEN_ATTRIBUTES[node.attr])
        elif node.attr.startswith(GUARD_PREFIX):
            self.flag(node, "touches the grader's guard")
        self.generic_visit(node)


def protected_names(released_sources: Iterable[str]) -> dict[str, str]:
    """The names the lesson's own cells import (the checks, torch, numpy,
    the course library), with what they import."""
    names: dict[str, str] = {}
    for source in released_sources:
        tree = parsed(source)
        names.update(imported_names(tree) if tree else {})
    return names


def parsed(source: str) -> ast.Module | None:
    """A cell's syntax tree, or None for a cell that does not parse (it
    is left to fail when it runs)."""
    try:
        return ast.parse(python_source(source))
    except SyntaxError:
        return None


def read_cell(
    source: str, protected: dict[str, str], modules: set[str]
) -> list[tuple[int, str]]:
    """(line, technique) for each construct in one learner cell that
    reaches into what the checks rely on; empty for honest code.
    `protected` are the names the lesson imports, `modules` every name
    an import binds, the learner's included."""
    tree = parsed(source)
    if tree is None:
        return []
    reader = Reader(protected, modules)
    reader.visit(tree)
    return sorted(set(reader.found))


def read_submission(
    cells: list[tuple[int, str]], released_sources: Iterable[str]
) -> list[Finding]:
    """Every finding in the learner's cells, given as (index, source), of
    a notebook whose released cells have `released_sources`."""
    protected = protected_names(released_sources)
    modules = set(protected)
    for _, source in cells:
        tree = parsed(source)
        modules |= set(imported_names(tree)) if tree else set()
    return [
        Finding(index, line, technique)
        for index, source in cells
        for line, technique in read_cell(source, protected, modules)
    ]
