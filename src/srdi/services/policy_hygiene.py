"""The hygiene report of the packs in force and the tier rulebooks (``srdi policy check``, 政策包体检 page).

Use ``policy_check(day)``: the packs as in force (``parameters.packs_in_force``: the YAML baseline with every
approved change), the shipped rulebooks, the programmes (申报批次) that are not closed and the packs' YAML cases,
judged by ``domain.policy.hygiene.check``. The command and the page call this one function, so they always show
the same findings. It only reads.
"""

from __future__ import annotations

from datetime import date
from importlib import resources

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


def case_texts(packs: tuple[Pack, ...]) -> dict[str, list[str]]:
    """The ``tests`` text of every shipped YAML case, by pack (a pack without a case folder is left out)."""
    root = resources.files("srdi.policies")
    return {
        p.id: [c.tests for c in policy_cases(p.id)] for p in packs if root.joinpath(p.id, "cases").is_dir()
    }


def policy_check(day: date) -> Report:
    """The hygiene report on ``day``."""
    packs = packs_in_force()
    return check(packs, load_library(), day, programmes=open_programmes(), cases=case_texts(packs))
