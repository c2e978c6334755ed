"""knowledge/ reads in one direction: the schema, then loading, then querying, then planning and
advice. A module that imports one further along (even inside a function) makes a loop that a
newcomer has to untangle before changing anything; this test names the import that does."""
import ast
from pathlib import Path

import knowledge

PACKAGE = Path(knowledge.__file__).parent

# Each module may import only those listed before it.
ORDER = ("schema", "models", "names", "db", "loader", "bank", "queries", "answer", "planner",
         "advice")


def imported_modules(path: Path) -> set[str]:
    """The knowledge modules a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "knowledge":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("knowledge."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("knowledge."))
    return found


def test_every_module_has_a_place_in_the_order():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(ORDER), "add the new module to ORDER where it belongs"


def test_no_module_imports_one_later_in_the_order():
    backwards = [f"knowledge/{name}.py imports knowledge.{other}"
                 for name in ORDER
                 for other in imported_modules(PACKAGE / f"{name}.py")
                 if other in ORDER and ORDER.index(other) >= ORDER.index(name)]
    assert not backwards, backwards


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from knowledge.planner import Planner\n")
    assert imported_modules(module) == {"planner"}
