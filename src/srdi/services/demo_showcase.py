"""Demo showcase entries (典型案例) for ``srdi demo``, made through the real service so that every rule applies.

Use ``create_demo_showcase`` after the demo users exist. One enterprise per tier holding that title today is
proposed by city staff (or, for a 西湖区 enterprise, by the 西湖区 account), submitted, given consent through a
signed document filed by the city administrator and approved by the city administrator (never an author). The
enterprise account's own enterprise is proposed and submitted but waits for the enterprise's consent in its
portal, so that the consent step can be tried. Stories are marked as demo text and state only the tier and
cluster. Does nothing when showcase entries exist already.
"""

from __future__ import annotations

from django.utils import timezone

from srdi.db.models import Certification, Enterprise, ShowcaseEntry, User
from srdi.domain.reference import TIERS
from srdi.domain.showcase import cluster_label, clusters
from srdi.services import showcase
from srdi.services.demo_money import DEMO_PDF
from srdi.services.programme_pipeline import valid_on_q

XIHU = "330106"


def _user(name: str) -> User | None:
    return User.objects.filter(username=name).first()


def _story(enterprise: Enterprise, tier: str, cluster: str) -> str:
    return (
        f"（演示数据）该企业属{cluster_label(cluster)}产业，现为{TIERS[tier]}。"
        "坚持专业化、精细化、特色化、新颖化发展，深耕细分市场，持续投入研发，形成了可推广的培育经验。"
    )


def _holders(tier: str) -> list[Enterprise]:
    day = timezone.localdate()
    ids = Certification.objects.filter(valid_on_q(day), tier=tier).values("enterprise_id")
    return list(Enterprise.objects.filter(pk__in=ids).order_by("uscc")[:5])


def create_demo_showcase(lines: list[str]) -> None:
    staff, admin, xihu = _user("city_staff"), _user("city_admin"), _user("district_xihu")
    own_user = _user("enterprise_demo")
    if staff is None or admin is None or ShowcaseEntry.objects.exists():
        return
    chosen: list[tuple[Enterprise, str]] = []
    own = own_user.enterprise if own_user is not None else None
    for tier in ("little_giant", "hidden_champion", "srdi_sme", "innovative_sme"):
        found = next(
            (e for e in _holders(tier) if e != own and all(e != c for c, _ in chosen)),
            None,
        )
        if found is not None:
            chosen.append((found, tier))
    published = 0
    for enterprise, tier in chosen:
        proposer = xihu if xihu is not None and enterprise.district_id == XIHU else staff
        cluster = enterprise.ecosystem if enterprise.ecosystem in clusters() else "high_end_equipment"
        entry = showcase.create_entry(
            proposer,
            uscc=enterprise.uscc,
            public_name=enterprise.name[:60],
            cluster=cluster,
            story=_story(enterprise, tier, cluster),
        )
        showcase.transition(proposer, entry.pk, "submit")
        showcase.upload_consent_document(admin, entry.pk, filename="展示同意书（演示）.pdf", data=DEMO_PDF)
        showcase.transition(admin, entry.pk, "approve")
        published += 1
    waiting = 0
    if own is not None and showcase.tier_of_enterprise(own) is not None:
        cluster = own.ecosystem if own.ecosystem in clusters() else "high_end_equipment"
        tier = showcase.tier_of_enterprise(own) or "innovative_sme"
        entry = showcase.create_entry(
            staff, uscc=own.uscc, public_name=own.name[:60], cluster=cluster, story=_story(own, tier, cluster)
        )
        showcase.transition(staff, entry.pk, "submit")
        waiting = 1
    lines.append(f"典型案例：已发布 {published} 个，待企业同意 {waiting} 个（公开页面 /showcase/）")
