"""Emit: the import block of a generated module, in the order ruff's isort expects.

Parts of the emitter say what they need (`need("json")`, `need("typing", "Any")`);
the block is rendered once, grouped into standard library and third-party
sections, plain `import` lines before `from` lines, names sorted by kind.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


def name_order(name: str) -> tuple[int, str]:
    """ruff's order for imported names: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name.lower())
    return (1, name.lower()) if name[0].isupper() else (2, name.lower())


@dataclass
class Imports:
    modules: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)

    def need(self, module: str, *names: str) -> None:
        if names:
            self.names.setdefault(module, set()).update(names)
        else:
            self.modules.add(module)

    def section(self, stdlib: bool) -> list[str]:
        """The standard library's lines, or the third-party ones."""

        def ours(module: str) -> bool:
            if module.startswith("."):
                return False
            return (module.split(".")[0] in sys.stdlib_module_names) == stdlib

        lines = [f"import {m}" for m in sorted(self.modules) if ours(m)]
        for module in sorted(m for m in self.names if ours(m)):
            listed = ", ".join(sorted(self.names[module], key=name_order))
            lines.append(f"from {module} import {listed}")
        return lines

    def local_section(self) -> list[str]:
        """Relative imports of sibling generated modules; as ruff's isort writes them,
        each `name as alias` on a line of its own, after the module's plain names."""
        lines = []
        for module in sorted(m for m in self.names if m.startswith(".")):
            names = sorted(self.names[module], key=name_order)
            plain = [name for name in names if " as " not in name]
            if plain:
                lines.append(f"from {module} import {', '.join(plain)}")
            lines += [f"from {module} import {name}" for name in names if " as " in name]
        return lines
