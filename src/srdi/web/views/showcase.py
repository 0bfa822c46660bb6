"""The public showcase (典型案例, 81号 第26条): the one set of pages anyone may open without signing in.

``showcase`` lists the entries ``srdi.services.showcase.public_entries`` shows today (published, consented, a
tier title valid today), filtered by tier, cluster and district, searchable and paged; ``showcase_entry`` shows
one, and answers 404 for any other id (a draft, an entry without consent or with a lapsed title, or no entry at
all: the same answer). The pages show only what the entry states — its public name, the tier computed today,
cluster, district and story — never the enterprise's code, figures or contacts. They count in the anonymous
page bucket (by id: the probe bucket) like every other page, carry the site's security headers and use no
script of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from srdi.db.models import ShowcaseEntry
from srdi.domain.reference import TIERS, district_codes, districts
from srdi.domain.showcase import cluster_label, clusters, tier_label
from srdi.services import showcase as sc

PAGE_SIZE = 12
EXCERPT = 90


@dataclass(frozen=True)
class PublicEntry:
    """What the public sees of an entry."""

    pk: int
    name: str
    tier: str
    tier_label: str
    cluster: str
    district: str
    story: str
    excerpt: str
    published_on: date | None


def public_view(entry: ShowcaseEntry) -> PublicEntry:
    tier = getattr(entry, "tier_today", None) or ""
    story = entry.story
    district = entry.enterprise.district
    return PublicEntry(
        pk=entry.pk,
        name=entry.public_name,
        tier=tier,
        tier_label=tier_label(tier),
        cluster=cluster_label(entry.cluster),
        district=district.name if district else "",
        story=story,
        excerpt=story if len(story) <= EXCERPT else story[:EXCERPT].rstrip() + "…",
        published_on=entry.published_at.date() if entry.published_at else None,
    )


def _choice(request: HttpRequest, name: str, allowed: object) -> str:
    value = (request.GET.get(name) or "").strip()
    return value if value in allowed else ""  # type: ignore[operator]


@require_safe
def showcase(request: HttpRequest) -> HttpResponse:
    """专精特新典型案例: the published entries, newest first, with filters and paging."""
    tier = _choice(request, "tier", TIERS)
    cluster = _choice(request, "cluster", clusters())
    district = _choice(request, "district", district_codes())
    q = " ".join((request.GET.get("q") or "").split())[:50]
    qs = sc.public_entries(tier=tier, cluster=cluster, district=district, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "entries": [public_view(e) for e in page.object_list],
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "total": page.paginator.count,
        "tiers": list(TIERS.items()),
        "clusters": list(clusters().items()),
        "districts": [(d.code, d.name) for d in districts()],
        "chosen": {"tier": tier, "cluster": cluster, "district": district, "q": q},
        "filtered": bool(tier or cluster or district or q),
    }
    return render(request, "web/showcase/public_list.html", context)


@require_safe
def showcase_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """One published entry; 404 for every id the public may not see."""
    entry = sc.public_entry(pk)
    if entry is None:
        raise Http404
    return render(request, "web/showcase/public_entry.html", {"entry": public_view(entry)})
