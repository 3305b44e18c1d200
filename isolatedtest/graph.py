"""The dependency graph for people: a self-contained HTML page, and a CI summary.

The page (``--dependency-graph FILE``) draws writers and readers, grouped by
class or module, with an edge per dependency (its keys on hover), confirmed
ones in red; it can be filtered and folded, and needs no network. Where
GitHub Actions gives a job summary (``$GITHUB_STEP_SUMMARY``), the confirmed
pairs, their commands and a Mermaid diagram of them are appended to it.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

from isolatedtest.culprits import Culprit

STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


def edges(pairs: list[Culprit]) -> list[dict]:
    return [
        {
            "reader": pair.reader,
            "writer": pair.writer,
            "keys": list(pair.keys),
            "checked": pair.outcome is not None,
            "confirmed": pair.confirmed,
            "outcome": pair.outcome,
            "together": pair.together,
            "alone": pair.alone,
        }
        for pair in pairs
    ]


def write_page(path: str, pairs: list[Culprit]) -> None:
    """Write the HTML page drawing ``pairs``."""
    template = resources.files("isolatedtest").joinpath("graph.html").read_text()
    data = json.dumps({"edges": edges(pairs)}).replace("</", "<\\/")
    Path(path).write_text(template.replace("__DATA__", data))


def append_step_summary(pairs: list[Culprit]) -> None:
    """Append the confirmed pairs to GitHub's job summary, if there is one."""
    target = os.environ.get(STEP_SUMMARY)
    if not target:
        return
    confirmed = [pair for pair in pairs if pair.confirmed]
    checked = sum(pair.outcome is not None for pair in pairs)
    lines = [
        "### isolatedtest: cache dependencies",
        "",
        f"{len(pairs)} dependencies found, {checked} checked, "
        f"{len(confirmed)} confirmed: the reader fails after its writer without "
        "isolation.",
        "",
    ]
    if confirmed:
        lines += ["| reader | writer | keys | fails | passes |", "|---" * 5 + "|"]
        for pair in confirmed:
            keys = ", ".join(f"`{key}`" for key in pair.keys)
            lines.append(
                f"| `{pair.reader}` | `{pair.writer}` | {keys} | "
                f"`{pair.together}` | `{pair.alone}` |"
            )
        lines += ["", "```mermaid", "flowchart LR"]
        ids: dict[str, str] = {}
        for pair in confirmed:
            writer, reader = (_node(ids, name) for name in (pair.writer, pair.reader))
            label = _quoted(", ".join(pair.keys))
            lines.append(f"  {writer} -->|{label}| {reader}")
        lines.append("```")
    with open(target, "a", encoding="utf-8") as summary:
        summary.write("\n".join(lines) + "\n")


def _node(ids: dict[str, str], name: str) -> str:
    """A Mermaid node for a test: an id, and its name as the label, once."""
    if name in ids:
        return ids[name]
    ids[name] = f"n{len(ids)}"
    return f'{ids[name]}["{_quoted(name)}"]'


def _quoted(text: str) -> str:
    return re.sub(r'["|<>]', "_", text)
