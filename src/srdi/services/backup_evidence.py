"""The evidence files (证明材料) that go with a database backup.

Evidence content lives outside the database, in ``MEDIA_ROOT/evidence/<sha256[:2]>/<sha256>``, named by its
SHA-256 (``srdi.services.evidence``). ``evidence_files`` lists what to pack after the database snapshot: every
stored file, a superset of those the snapshot refers to (a file is stored before its row commits and is never
removed). ``restore_evidence`` copies them out of a backup into a media directory, refusing a file whose
content does not match its name; ``missing_evidence`` lists the rows of the restored database whose file is not
there or not intact.
"""

from __future__ import annotations

import hashlib
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

PREFIX = "evidence/"
_NAME = re.compile(r"^evidence/([0-9a-f]{2})/([0-9a-f]{64})$")


@dataclass(frozen=True)
class EvidenceFile:
    sha256: str
    path: Path
    size: int


def evidence_files(media_root: Path) -> list[EvidenceFile]:
    """Every stored evidence file whose name is a SHA-256, sorted by it."""
    root = media_root / "evidence"
    if not root.is_dir():
        return []
    found = []
    for path in root.glob("??/*"):
        member = f"{PREFIX}{path.parent.name}/{path.name}"
        match = _NAME.match(member)
        if match and path.is_file() and match.group(2).startswith(match.group(1)):
            found.append(EvidenceFile(path.name, path, path.stat().st_size))
    return sorted(found, key=lambda f: f.sha256)


def listing_digest(files: list[str]) -> str:
    """SHA-256 over the sorted SHA-256 names: which files the backup holds."""
    return hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()


def restore_evidence(archive: Path, media_root: Path) -> tuple[list[str], list[str]]:
    """Copy every evidence file of ``archive`` into ``media_root/evidence`` (an intact copy already there is
    kept). Returns the names restored and the problems (a file whose content does not match its name)."""
    names: list[str] = []
    problems: list[str] = []
    with tarfile.open(archive, mode="r:") as tar:
        for member in tar:
            if not member.name.startswith(PREFIX):
                continue
            match = _NAME.match(member.name)
            source = tar.extractfile(member) if match and member.isfile() else None
            if match is None or source is None:
                problems.append(f"备份中的材料文件名无效：{member.name[:80]}")
                continue
            sha = match.group(2)
            data = source.read()
            if hashlib.sha256(data).hexdigest() != sha:
                problems.append(f"材料文件 {sha[:12]}… 的内容与其校验值不符")
                continue
            target = media_root / "evidence" / sha[:2] / sha
            if not (target.is_file() and _sha(target) == sha):
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(target.name + ".partial")
                partial.write_bytes(data)
                os.replace(partial, target)
            names.append(sha)
    return names, problems


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_references() -> list[tuple[str, list[tuple[int, str]]]]:
    """Every row that names a stored file: (how a row is called, [(id, sha256)])."""
    from srdi.db.models import Evidence, ParameterChange, ShowcaseEntry, UnitEvent, UnitReportFile

    def rows(model: type, field: str) -> list[tuple[int, str]]:
        found = model.objects.exclude(**{field: ""}).order_by("id").values_list("id", field)  # type: ignore[attr-defined]
        return list(found)

    return [
        ("材料", rows(Evidence, "sha256")),
        ("季度报告材料", rows(UnitReportFile, "sha256")),
        ("活动登记", rows(UnitEvent, "evidence_sha256")),
        ("参数调整", rows(ParameterChange, "attachment_sha256")),
        ("典型案例同意书", rows(ShowcaseEntry, "consent_document_sha256")),
    ]


def missing_evidence(media_root: Path) -> list[str]:
    """The rows of the database Django is connected to whose stored file is missing or not intact: case
    evidence, unit report files, event evidence, parameter-change documents and showcase consent documents (all
    in one store)."""
    problems = []
    for label, refs in _file_references():
        for row_id, sha in refs:
            path = media_root / "evidence" / sha[:2] / sha
            if not path.is_file():
                problems.append(f"{label} #{row_id} 的文件不存在")
            elif _sha(path) != sha:
                problems.append(f"{label} #{row_id} 的文件内容与校验值不符")
    return problems
