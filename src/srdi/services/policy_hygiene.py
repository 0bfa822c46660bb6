"""The hygiene report of the packs in force and the tier rulebooks (``srdi policy check``, 政策包体检 page).

Use ``policy_check(day)``: the packs as in force (``parameters.packs_in_force``: the YAML baseline with every
approved change), the shipped rulebooks, the programmes (申报批次) that are not closed and the packs' YAML cases,
judged by ``domain.policy.hygiene.check``. The command and the page call this one function, so they always show
the same findings. It only reads.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from srdi.db.models import Programme
from srdi.domain.policy.hygiene import OpenProgramme, Report, check
from srdi.domain.policy.model import Pack
from srdi.domain.rules.cases import policy_cases
from srdi.domain.rules.rulebook import load_library
from srdi.services.parameters import packs_in_force


def open_programmes() -> tuple[OpenProgramme, ...]:
    """Every programme that is not closed (draft or open): the measures it runs must be able to pay."""
    rows = Programme.objects.exclude(status=Programme.Status.CLOSED).order_by("pack", "article", "code")
    return tuple(OpenProgramme(p.code, p.name, p.pack, p.article) for p in rows)


_texts_cache: dict[tuple[str, tuple[tuple[str, int, int], ...]], list[str]] = {}


def _pack_case_texts(pack_id: str, folder: Path) -> list[str]:
    """The pack's case ``tests`` texts, parsed once per state of its case files (name, size, modification time):
    parsing the YAML costs 0.3–0.9 s a page and the files change only with a deployment."""
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".yaml"))
    key = (pack_id, tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    found = _texts_cache.get(key)
    if found is None:
        found = [c.tests for c in policy_cases(pack_id)]
        _texts_cache[key] = found
    return list(found)


def case_texts(packs: tuple[Pack, ...]) -> dict[str, list[str]]:
    """The ``tests`` text of every shipped YAML case, by pack (a pack without a case folder is left out)."""
    root = resources.files("srdi.policies")
    out: dict[str, list[str]] = {}
    for p in packs:
        folder = root.joinpath(p.id, "cases")
        if folder.is_dir():
            out[p.id] = _pack_case_texts(p.id, Path(str(folder)))
    return out


def policy_check(day: date) -> Report:
    """The hygiene report on ``day``."""
    packs = packs_in_force()
    return check(packs, load_library(), day, programmes=open_programmes(), cases=case_texts(packs))
