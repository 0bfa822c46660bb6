"""Evidence files on a case: the enterprise uploads (type by magic bytes, size limit, editable states only),
everyone who may see the case downloads the verified bytes as an attachment, everyone else gets a 404; every
upload, refusal and download is audited. Plus the magic-byte detection and file-name cleaning on their own."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
import test_web_money_world as money_world
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from test_web_money_world import ACCOUNT, client_for, messages_of, text_of
from tests.integration.conftest import xlsx_bytes
from tests.signin import sign_in

from srdi.db.models import AuditEvent, Case, Evidence
from srdi.domain.workflow.guards import check
from srdi.services import audit
from srdi.services import evidence as ev
from srdi.services.cases import actor_of, transition, update_claim, view_of
from srdi.services.programmes import create_programme, start_application
from srdi.web.http import attachment_disposition

pytestmark = pytest.mark.django_db  # before the autouse ledger check, so the database outlives it

# The shared fixtures (a module attribute, not an import, so that linters see no redefinition).
mworld = money_world.mworld
ledger_verifies = money_world.ledger_verifies

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + b"\x00" * 32
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 64
    + b"This program cannot be run"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
REQUIRED = ["项目备案证明", "竣工验收报告"]


def ooxml(main: str, content_types: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal OOXML package with ``main`` as its main part."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            content_types
            or '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr(main, '<?xml version="1.0"?><w:document xmlns:w="urn:x"><w:body/></w:document>')
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


DOCX = ooxml("word/document.xml")


# ---- unit level: magic bytes and file names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (DOCX, "docx"), (xlsx_bytes([["a", 1]]), "xlsx")],
)
def test_detect_type_by_magic_bytes(data, kind):
    assert ev.detect_type(data).kind == kind


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (EXE, "可执行文件"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 20, "可执行文件"),
        (HTML, "网页"),
        (b"\xef\xbb\xbf  <html><script>x</script>", "网页"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, "旧版 Office"),
        (b"GIF89a" + b"\x00" * 20, "GIF"),
        (b"just some text that claims to be a PDF", "只接受"),
        (b"PK\x03\x04" + b"\x00" * 40, "损坏"),
        (ooxml("other/thing.xml", content_types="<Types/>"), "只接受 Word"),
        (ooxml("word/document.xml", extra={"word/vbaProject.bin": b"macro"}), "宏"),
        (
            ooxml(
                "word/document.xml",
                content_types="<Types><Default ContentType="
                '"application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>',
            ),
            "宏",
        ),
        (ooxml("word/document.xml", extra={"word/x.xml": b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x/>'}), "DTD"),
        (ooxml("word/document.xml", extra={"../evil.xml": b"<x/>"}), "非法路径"),
    ],
)
def test_detect_type_refuses_everything_else(data, why):
    with pytest.raises(ev.EvidenceError) as refused:
        ev.detect_type(data)
    assert why in str(refused.value)


def test_a_zip_bomb_docx_is_refused_from_its_directory():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w/>")
        z.writestr("word/media/zeros.bin", b"\x00" * (12 * 1024 * 1024))
    with pytest.raises(ev.EvidenceError, match="压缩炸弹"):
        ev.detect_type(buf.getvalue())


def test_the_extension_must_agree_with_the_content(settings):
    settings.SRDI_EVIDENCE_MAX_BYTES = 1024 * 1024
    assert ev.check_file(JPEG, "scan.JPEG") is ev.JPEG
    with pytest.raises(ev.EvidenceError, match="与文件内容（PNG 图片）不符"):
        ev.check_file(PNG, "scan.pdf")
    with pytest.raises(ev.EvidenceError, match="无扩展名"):
        ev.check_file(PDF, "scan")
    with pytest.raises(ev.EvidenceError, match="文件为空"):
        ev.check_file(b"", "a.pdf")
    settings.SRDI_EVIDENCE_MAX_BYTES = 10
    with pytest.raises(ev.EvidenceError, match="超过上限"):
        ev.check_file(PDF, "a.pdf")


def test_file_names_are_cleaned_to_a_safe_basename():
    assert ev.clean_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert ev.clean_filename("C:\\Users\\张三\\项目备案证明.pdf") == "项目备案证明.pdf"
    assert ev.clean_filename("invoice\u202efdp.exe") == "invoicefdp.exe"  # no right-to-left override
    assert ev.clean_filename('a"b<c>\x00\r\n.pdf') == "abc.pdf"
    assert ev.clean_filename("  ..hidden.pdf  ") == "hidden.pdf"
    long = ev.clean_filename("长" * 300 + ".docx")
    assert len(long) == 255 and long.endswith(".docx")
    assert ev.clean_filename("../") == ""


def test_the_download_header_carries_an_rfc5987_name():
    header = attachment_disposition('项目 "备案".pdf')
    assert header.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E9%A1%B9%E7%9B%AE%20%22%E5%A4%87%E6%A1%88%22.pdf" in header
    assert 'filename="__ ____.pdf"' in header


# ---- through the pages ----------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def application(mworld) -> Case:
    """A draft application of enterprise 0 under a programme, open today, that requires two pieces of evidence.

    The enterprise first declines the 免申即享 offer of the world's programme: one open case per matter."""
    offer = mworld.case(0)
    transition(offer.pk, mworld.users["enterprise"], "decline")
    today = date.today()
    programme = create_programme(
        code="hz81-9-2025e",
        name="2025年技改补助（需材料）",
        article=9,
        year=2025,
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=30),
        city_budget_fen=10**10,
        mode="application",
        required_evidence=REQUIRED,
        actor=mworld.users["city_admin"],
    )
    case = start_application(programme, mworld.users["enterprise"], offer.event)
    assert case.state == "draft"
    return case


def upload(client: Client, case: Case, name: str, data: bytes, label: str = REQUIRED[0], note: str = ""):
    return client.post(
        reverse("web:case_evidence_upload", args=[case.pk]),
        {
            "label": label,
            "note": note,
            "file": SimpleUploadedFile(name, data, content_type="application/pdf"),
        },
        follow=True,
    )


def stored(media: Path, data: bytes) -> Path:
    sha = hashlib.sha256(data).hexdigest()
    return media / "evidence" / sha[:2] / sha


def test_enterprise_uploads_evidence_and_the_guard_passes(mworld, application, media):
    u = mworld.users
    case = application
    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
    )
    enterprise = client_for(u["enterprise"])
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert 'enctype="multipart/form-data"' in page and 'accept=".pdf,.png,.jpg,.jpeg,.docx,.xlsx"' in page
    assert '<option value="项目备案证明">' in page and '<option value="其他材料">' in page

    r = upload(enterprise, case, "../备案证明.pdf", PDF)
    assert r.status_code == 200 and "已上传“项目备案证明”：备案证明.pdf" in " ".join(messages_of(r))
    row = Evidence.objects.get(case=case)
    sha = hashlib.sha256(PDF).hexdigest()
    assert (row.label, row.filename, row.sha256, row.size_bytes, row.uploaded_by) == (
        "项目备案证明",
        "备案证明.pdf",
        sha,
        len(PDF),
        u["enterprise"],
    )
    assert stored(media, PDF).read_bytes() == PDF
    assert not [p for p in stored(media, PDF).parent.iterdir() if p.name.endswith(".tmp")]
    event = AuditEvent.objects.filter(object_type="case", object_id=str(case.pk), action="create").last()
    assert event.success and event.actor == u["enterprise"] and event.new["sha256"] == sha
    assert event.new["evidence_id"] == row.pk and event.new["type"] == "pdf"
    assert audit.verify_chain().ok

    # The page lists the file and ticks the checklist item; the guard still misses the second one.
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert "备案证明.pdf" in page and reverse("web:evidence_download", args=[row.pk]) in page
    assert "已提供（1 个文件）" in page
    case.refresh_from_db()
    assert view_of(case).evidence_missing == ("竣工验收报告",)
    verdict = check("submit", actor_of(u["enterprise"]), view_of(case))
    assert not verdict and "竣工验收报告" in verdict.reason

    # A JPEG for the second; the same content again under another label is stored once.
    r = upload(enterprise, case, "验收.jpg", JPEG, label="竣工验收报告")
    assert "已上传" in " ".join(messages_of(r))
    r = upload(enterprise, case, "备案证明-副本.pdf", PDF, label="其他材料", note="备案 回执")
    assert "已上传“其他材料：备案 回执”" in " ".join(messages_of(r))
    r = upload(enterprise, case, "again.pdf", PDF)
    assert "无需重复上传" in " ".join(messages_of(r))
    assert Evidence.objects.filter(case=case).count() == 3
    assert len([p for p in (media / "evidence").rglob("*") if p.is_file()]) == 2  # PDF stored once
    assert view_of(case).evidence_missing == ()
    case.refresh_from_db()
    assert check("submit", actor_of(u["enterprise"]), view_of(case))

    # Submitted: the enterprise can no longer attach anything, and the form is gone.
    transition(case.pk, u["enterprise"], "submit")
    r = upload(enterprise, case, "late.png", PNG, label="竣工验收报告")
    assert "当前状态不能上传证明材料" in " ".join(messages_of(r))
    assert Evidence.objects.filter(case=case).count() == 3
    assert not stored(media, PNG).exists()
    assert 'enctype="multipart/form-data"' not in text_of(r)
    refusal = AuditEvent.objects.filter(object_type="case", object_id=str(case.pk), success=False).last()
    assert refusal.extra["code"] == "wrong_state"


def test_offer_after_confirmation_and_staff_cannot_upload(mworld, media):
    u = mworld.users
    case = mworld.case(0)
    assert case.state == "offered"
    enterprise = client_for(u["enterprise"])
    page = text_of(enterprise.get(reverse("web:case_detail", args=[case.pk])))
    assert '<option value="其他材料">' in page  # no required evidence: only 其他材料
    r = upload(enterprise, case, "专利证书.pdf", PDF, label="其他材料", note="专利证书")
    assert Evidence.objects.get(case=case).label == "其他材料：专利证书"
    r = upload(enterprise, case, "x.pdf", PDF + b"1", label="项目备案证明")
    assert "未上传：材料名称" in " ".join(messages_of(r))  # not a label of this programme
    with pytest.raises(ev.EvidenceError, match="请选择本批次要求的材料"):
        ev.attach_evidence(case.pk, u["enterprise"], label="项目备案证明", filename="x.pdf", data=PDF + b"1")
    with pytest.raises(ev.EvidenceError, match="不超过 100 字"):
        ev.attach_evidence(
            case.pk, u["enterprise"], label="其他材料：" + "长" * 96, filename="x.pdf", data=PDF
        )

    # Staff in scope may read the case but not attach (a refusal, not a 404).
    r = upload(client_for(u["district"]), case, "staff.pdf", PDF + b"1", label="其他材料")
    assert r.status_code == 200 and "只有本企业用户可以上传证明材料" in " ".join(messages_of(r))
    # The auditor may not act at all.
    assert upload(client_for(u["auditor"]), case, "a.pdf", PDF + b"2", label="其他材料").status_code == 403

    update_claim(
        case.pk, u["enterprise"], bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
    )
    transition(case.pk, u["enterprise"], "confirm")
    r = upload(enterprise, case, "late.pdf", PDF + b"3", label="其他材料")
    assert "当前状态不能上传证明材料" in " ".join(messages_of(r))
    assert Evidence.objects.filter(case=case).count() == 1


def test_content_not_extension_decides(mworld, application, media):
    enterprise = client_for(mworld.users["enterprise"])
    for name, data, why in [
        ("备案证明.pdf", EXE, "可执行文件"),
        ("备案证明.pdf", HTML, "网页"),
        ("备案证明.pdf", PNG, "与文件内容（PNG 图片）不符"),
        ("备案证明.exe", PDF, "与文件内容（PDF 文档）不符"),
    ]:
        r = upload(enterprise, application, name, data)
        assert why in " ".join(messages_of(r)), name
    assert not Evidence.objects.filter(case=application).exists()
    assert not (media / "evidence").exists() or not any((media / "evidence").rglob("*"))
    codes = list(
        AuditEvent.objects.filter(object_type="case", object_id=str(application.pk), success=False)
        .order_by("id")
        .values_list("extra", flat=True)
    )
    assert [c["code"] for c in codes] == [
        "file_type",
        "file_type",
        "extension_mismatch",
        "extension_mismatch",
    ]


def test_oversize_is_refused(mworld, application, media, settings):
    settings.SRDI_EVIDENCE_MAX_BYTES = 64
    enterprise = client_for(mworld.users["enterprise"])
    r = upload(enterprise, application, "big.pdf", PDF + b" " * 100)
    assert "文件过大" in " ".join(messages_of(r))
    with pytest.raises(ev.EvidenceError, match="超过上限"):  # the service checks on its own too
        ev.attach_evidence(
            application.pk, mworld.users["enterprise"], label=REQUIRED[0], filename="big.pdf", data=PDF * 2
        )
    assert not Evidence.objects.filter(case=application).exists()


def test_out_of_scope_users_get_404_and_staff_in_scope_download(mworld, media):
    u = mworld.users
    case = mworld.case(0)
    upload(client_for(u["enterprise"]), case, "项目 备案.pdf", PDF, label="其他材料")
    row = Evidence.objects.get(case=case)
    url = reverse("web:evidence_download", args=[row.pk])

    for role in ("enterprise2", "other_district"):
        client = client_for(u[role])
        assert upload(client, case, "x.pdf", PDF + b"x", label="其他材料").status_code == 404, role
        r = client.get(url)
        assert r.status_code == 404 and PDF not in r.content, role
        assert client.get(reverse("web:evidence_download", args=[row.pk + 1000])).status_code == 404
    assert client_for(u["provider"]).get(url).status_code == 403
    assert Evidence.objects.filter(case=case).count() == 1
    denied = AuditEvent.objects.filter(action="access_denied", object_type="case", object_id=str(case.pk))
    assert denied.count() >= 4

    before = AuditEvent.objects.filter(action="export", object_id=str(case.pk)).count()
    for role in ("district", "city_staff", "auditor", "enterprise"):
        r = client_for(u[role]).get(url)
        assert r.status_code == 200, role
        assert r.content == PDF
        assert r["Content-Type"] == "application/pdf"
        assert r["Content-Disposition"] == (
            "attachment; filename=\"__ __.pdf\"; filename*=UTF-8''%E9%A1%B9%E7%9B%AE%20%E5%A4%87%E6%A1%88.pdf"
        )
        assert r["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in r["Cache-Control"]
    downloads = AuditEvent.objects.filter(action="export", object_id=str(case.pk)).order_by("id")
    assert downloads.count() == before + 4
    assert downloads.last().extra["evidence_id"] == row.pk and downloads.last().actor == u["enterprise"]


def test_upload_needs_the_csrf_token(mworld, media):
    case = mworld.case(0)
    client = Client(enforce_csrf_checks=True)
    sign_in(client, mworld.users["enterprise"])
    r = upload(client, case, "a.pdf", PDF, label="其他材料")
    assert r.status_code == 403 and not Evidence.objects.exists()


def test_a_tampered_or_missing_file_is_not_served(mworld, media):
    u = mworld.users
    case = mworld.case(0)
    upload(client_for(u["enterprise"]), case, "a.pdf", PDF, label="其他材料")
    row = Evidence.objects.get(case=case)
    path = stored(media, PDF)
    path.write_bytes(PDF.replace(b"Catalog", b"Catalag"))  # same size, other content
    district = client_for(u["district"])
    r = district.get(reverse("web:evidence_download", args=[row.pk]), follow=True)
    assert r.redirect_chain[-1][0].startswith(reverse("web:case_detail", args=[case.pk]))
    assert "校验失败" in " ".join(messages_of(r)) and b"Catalag" not in r.content
    failed = AuditEvent.objects.filter(action="export", object_id=str(case.pk), success=False).last()
    assert failed.extra["code"] == "tampered" and failed.actor == u["district"]

    # Re-uploading the genuine content repairs the stored copy (content-addressed, verified before reuse).
    ev.attach_evidence(case.pk, u["enterprise"], label="其他材料：重新上传", filename="a.pdf", data=PDF)
    assert path.read_bytes() == PDF
    assert district.get(reverse("web:evidence_download", args=[row.pk])).content == PDF

    path.unlink()
    r = district.get(reverse("web:evidence_download", args=[row.pk]), follow=True)
    assert "文件缺失" in " ".join(messages_of(r))
