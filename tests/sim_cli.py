"""Running ``sim`` in-process, as the CLI tests do; scenario files with hostile names."""

import tomllib
from pathlib import Path

import tomli_w
from click.testing import CliRunner, Result

from interfaces.cli import cli


def sim(*args: str, stdin: str | None = None) -> Result:
    """Invoke ``sim ARGS`` in-process; exceptions are caught so a crash shows as a failed assert.

    ``stdin`` is what the command reads from standard input (e.g. a confirmation).
    """
    return CliRunner().invoke(cli, list(args), prog_name="sim", input=stdin)


def hostile_scenario(folder: Path, name: str, provider: str, label: str) -> Path:
    """The baseline preset as a scenario file with names that are also markup or formulas.

    The scenario is named ``name``, its first provider ``provider`` (wherever the hosts' listings
    name it), and its H20 licence is
    labelled ``label`` and acts from the second month, so that a 2-step run records its event.
    """
    document = tomllib.loads(sim("scenario", "show", "baseline").output)
    document["name"] = name
    renamed = document["providers"][0]["name"]
    document["providers"][0]["name"] = provider
    for entry in document["providers"]:  # the hosts' listings name it too
        if renamed in entry.get("lists", {}):
            entry["lists"][provider] = entry["lists"].pop(renamed)
    (licence,) = [p for p in document["policies"] if p.get("label") == "h20_resumed"]
    licence["label"] = label
    licence["params"]["schedule"]["start"] = "2024-02"
    path = folder / "scenario.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    return path
