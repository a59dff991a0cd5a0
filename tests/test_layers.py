"""The packages form layers whose imports point one way, and notebooks use only the public API.

The contracts live in ``setup.cfg`` (``[importlinter]``): interfaces above experiments, above
storage (``runs``), above the model core (``simulator``, ``agents``, ``policies``), above the
shared vocabulary; and the CLI and dashboard import nothing below the public API but the
vocabulary. Someone adding ``from runs.store import RunStore`` to the model makes these fail.
"""

import ast
import shutil
from pathlib import Path

import grimp
import nbformat
import pytest
from importlinter import api as importlinter_api
from importlinter.application.use_cases import lint_imports

ROOT = Path(__file__).parent.parent
PACKAGES = (
    "vocabulary",
    "scenario",
    "simulator",
    "agents",
    "policies",
    "runs",
    "experiments",
    "interfaces",
)
PUBLIC_API = "interfaces.api"


def _contracts_kept(root: Path, monkeypatch: pytest.MonkeyPatch, *only: str) -> bool:
    """Run import-linter on the tree at ``root`` with its setup.cfg's contracts (or ``only``)."""
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    return lint_imports(
        config_filename=str(root / "setup.cfg"),
        limit_to_contracts=only,
        cache_dir=None,
        no_logo=True,
    )


def test_every_layer_imports_only_layers_below_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's own tree keeps every import contract in setup.cfg."""
    assert importlinter_api.read_configuration(str(ROOT / "setup.cfg"))["contracts_options"]
    assert _contracts_kept(ROOT, monkeypatch)


@pytest.mark.parametrize(
    ("leak", "statement"),
    [
        ("simulator/leak.py", "from runs.store import RunStore"),
        ("scenario/leak.py", "from simulator.model import TokenMarket"),
        ("agents/leak.py", "from simulator.model import TokenMarket"),
        ("policies/leak.py", "from simulator.model import TokenMarket"),
    ],
    ids=["model->storage", "inputs->model", "agents->model", "policies->model"],
)
def test_an_upward_import_breaks_the_layers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leak: str, statement: str
) -> None:
    """The contracts catch an upward import: a copy of the tree keeps them until one is added.

    The model core may not import storage; the inputs (``scenario``) may not import the model,
    nor may ``agents`` or ``policies`` import the model core above them.
    """
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "data")
        )
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    for name in PACKAGES:  # the copy, not the installed tree, is what gets analysed
        monkeypatch.delitem(__import__("sys").modules, name, raising=False)
    assert _contracts_kept(tmp_path, monkeypatch, "layers"), "the unchanged copy keeps them"
    (tmp_path / leak).write_text(f'"""An upward import the layers forbid."""\n\n{statement}\n')
    assert _contracts_kept(tmp_path, monkeypatch, "layers") is False


def _project_imports(source: str) -> set[str]:
    """The project modules that a piece of code imports (``a.b`` for ``from a.b import c``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module] if node.level == 0 else []
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found.update(m for m in modules if m.split(".")[0] in PACKAGES)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_import_only_the_public_api(path: Path) -> None:
    """A notebook reaches the project through ``interfaces.api`` (and its package) alone."""
    notebook = nbformat.read(path, as_version=4)
    code = "\n".join(
        line
        for cell in notebook.cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    )  # IPython magics
    imported = _project_imports(code)
    assert imported, "the notebook imports nothing of the project"
    assert imported <= {PUBLIC_API, "interfaces"}, imported - {PUBLIC_API, "interfaces"}


def test_no_import_of_the_interfaces_goes_round_in_a_circle() -> None:
    """No module of ``interfaces`` imports, directly or not, a module that imports it.

    ``interfaces.api`` only gathers ``interfaces.public``'s parts, so what they build on (such
    as ``interfaces.plot``) can import a part without importing the API back.
    """
    graph = grimp.build_graph("interfaces", cache_dir=None)
    circles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert not circles, circles
    assert not graph.chain_exists(importer="interfaces.plot", imported="interfaces.api")
