"""The layout stays true: imports point one way, packages meet only through their exports, and
modules stay small enough to hold in one's head (docs/architecture.md is the map).

Read from the source with `ast`, so a violation anywhere (also in an import inside a function)
fails here with the file, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Top-level folders installed as leadpilot.<name> (pyproject.toml's package-dir).
FOLDERS = {"leadpilot": "leadpilot", "agent": "leadpilot.agent", "tools": "leadpilot.tools",
           "memory": "leadpilot.memory", "interfaces": "leadpilot.interfaces", "evals": "leadpilot.evals",
           "prompts": "leadpilot.prompts", "config": "leadpilot.config"}
# What each layer may import from leadpilot: interfaces -> agent -> tools -> memory, all over the
# base (settings, clock, lazy exports) and the data packages (prompts, config).
BASE = {"leadpilot", "prompts", "config"}
ALLOWED = {
    "leadpilot": BASE,
    "prompts": BASE,
    "config": BASE,
    "memory": BASE | {"memory"},
    "tools": BASE | {"memory", "tools"},
    "agent": BASE | {"memory", "tools", "agent"},
    "interfaces": BASE | {"memory", "tools", "agent", "interfaces"},
    "evals": BASE | {"memory", "tools", "agent", "interfaces", "evals"},
}
MAX_LINES = 500
SIZE_CHECKED = ("tools", "agent", "memory", "interfaces")


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the module named, absolute (leadpilot.tools.leads.filter)
    names: tuple[str, ...]  # the names taken from it (empty for `import x`)

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    dotted = [FOLDERS[parts[0]], *parts[1:]]
    if dotted[-1] == "__init__":
        dotted.pop()
    return ".".join(dotted)


def source_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def imports_of(path: Path) -> list[Import]:
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append(Import(path, node.lineno, module, tuple(alias.name for alias in node.names)))
    return [i for i in found if i.module == "leadpilot" or i.module.startswith("leadpilot.")]


def layer_of_module(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "leadpilot"
    for folder, dotted in FOLDERS.items():
        if dotted == f"leadpilot.{parts[1]}":
            return folder
    return "leadpilot"  # leadpilot.settings, leadpilot.clock, leadpilot.lazy


def tools_package(module: str) -> str | None:
    """`leads` for leadpilot.tools.leads and anything in it; None outside tools/."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "tools" else None


ALL_IMPORTS = [i for path in source_files() for i in imports_of(path)]


def test_the_scan_sees_the_code():
    # A guard for the guards: a broken scan would pass every rule below.
    assert len(source_files()) > 150
    assert any(i.module.startswith("leadpilot.tools.leads") for i in ALL_IMPORTS)


def upward(imports: list[Import]) -> list[str]:
    """interfaces -> agent -> tools -> memory: nothing imports upward."""
    found = []
    for i in imports:
        mine = i.path.relative_to(ROOT).parts[0]
        theirs = layer_of_module(i.module)
        if theirs not in ALLOWED[mine]:
            found.append(f"{i.where()}: {mine}/ imports {i.module} ({theirs}/ is above it)")
    return found


def crossing(imports: list[Import]) -> list[str]:
    """Outside a tools package, only the package itself is imported, and only the names its
    `__init__` exports (so a package's modules can move without breaking anyone)."""
    found = []
    for i in imports:
        target = tools_package(i.module)
        if target is None or tools_package(module_name(i.path)) == target:
            continue
        package = f"leadpilot.tools.{target}"
        if i.module != package:
            found.append(f"{i.where()}: imports {i.module}; import from {package} instead")
            continue
        exported = set(importlib.import_module(package).__all__)
        found += [f"{i.where()}: {name} is not exported by {package} (export it from its __init__, or keep it inside)"
                  for name in i.names if name not in exported]
    return found


def unit_of(module: str) -> str:
    """What owns a module's private names: its tools package inside tools/, else its layer folder."""
    package = tools_package(module)
    return f"tools.{package}" if package else layer_of_module(module)


def private(imports: list[Import]) -> list[str]:
    """A leading underscore means "mine": no module imports another package's private module or name."""
    found = []
    for i in imports:
        if unit_of(module_name(i.path)) == unit_of(i.module):
            continue
        if any(part.startswith("_") for part in i.module.split(".")):
            found.append(f"{i.where()}: imports the private module {i.module}")
        found += [f"{i.where()}: imports the private name {name} from {i.module}"
                  for name in i.names if name.startswith("_") and name != "__version__"]
    return found


def test_imports_point_one_way():
    assert not (problems := upward(ALL_IMPORTS)), "\n".join(problems)


def test_tools_packages_meet_only_through_their_exports():
    assert not (problems := crossing(ALL_IMPORTS)), "\n".join(problems)


def test_no_private_names_across_packages():
    assert not (problems := private(ALL_IMPORTS)), "\n".join(problems)


def test_the_rules_catch_what_they_forbid():
    """Each rule fails on an import it forbids (a scan that never matches would prove nothing)."""
    probe = ROOT / "tools" / "leads" / "probe.py"
    assert upward([Import(probe, 1, "leadpilot.agent.deps", ("AgentDeps",))])
    assert upward([Import(ROOT / "memory" / "probe.py", 1, "leadpilot.tools.leads", ("LeadFilter",))])
    assert not upward([Import(ROOT / "agent" / "probe.py", 1, "leadpilot.tools.leads", ("LeadFilter",))])
    assert crossing([Import(probe, 1, "leadpilot.tools.routing.engine", ("decide",))])
    assert crossing([Import(ROOT / "agent" / "probe.py", 1, "leadpilot.tools.leads", ("not_exported",))])
    assert not crossing([Import(probe, 1, "leadpilot.tools.leads.search", ("search_leads",))])
    assert not crossing([Import(ROOT / "agent" / "probe.py", 1, "leadpilot.tools.leads", ("LeadFilter",))])
    assert private([Import(probe, 1, "leadpilot.tools.routing", ("_hidden",))])
    assert private([Import(ROOT / "agent" / "probe.py", 1, "leadpilot.memory._internal", ("x",))])
    assert not private([Import(probe, 1, "leadpilot.tools.leads.search", ("_lead_dicts",))])


@pytest.mark.parametrize("folder", SIZE_CHECKED)
def test_modules_stay_under_500_lines(folder):
    """One idea per module: past 500 lines a module is split where it holds more than one.
    Generated migrations are exempt."""
    large = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if "migrations" in path.parts or "__pycache__" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            large.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not large, "\n".join(large)


def test_every_tools_package_says_what_it_owns():
    undocumented = []
    for init in sorted((ROOT / "tools").glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if "May import" not in doc:
            undocumented.append(f"{init.relative_to(ROOT)}: docstring should say what the package owns and 'May import: ...'")
    assert not undocumented, "\n".join(undocumented)


def test_the_map_names_every_package():
    """docs/architecture.md has a section for every tools package (the map is kept with the code)."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.parent.name for p in (ROOT / "tools").glob("*/__init__.py"))
    assert len(packages) >= 10
    assert [p for p in packages if f"### tools/{p}\n" not in doc] == []
