"""Loading generated demo data into the database in bulk, and the demo accounts.

Use ``load_tables`` with ``srdi.demo.generator.generate(...)`` output: one transaction, raw SQL in chunks of
5,000 rows (``executemany`` on SQLite, ``COPY`` on PostgreSQL), size classes computed column-wise, one audit
event for the whole load. ``create_demo_users`` makes one account per role with a random password and keeps
the logins in ``$SRDI_VAR_DIR/demo-logins.txt`` (mode 0600); nothing here has a built-in password.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction

from srdi.db.models import (
    AuditAction,
    Award,
    Certification,
    Contest,
    DataUpdate,
    District,
    Enterprise,
    EnterpriseYear,
    EquityFinancing,
    Event,
    IpItem,
    PlatformScore,
    Role,
    Sanction,
    Title,
    User,
)
from srdi.demo.profiles import event_payloads
from srdi.demo.sizes import size_classes
from srdi.domain import permissions
from srdi.domain.permissions import Scope
from srdi.domain.tables import Tables
from srdi.services import audit
from srdi.services.accounts import AccountError, create_user

CHUNK = 5000
SQLITE_CACHE_KIB = 256 * 1024  # page cache while loading (the default is 2 MiB)
LOGINS_FILE = "demo-logins.txt"

# table in Tables → model; enterprises first (children point at them)
CHILD_MODELS: dict[str, type[models.Model]] = {
    "years": EnterpriseYear,
    "titles": Title,
    "awards": Award,
    "contests": Contest,
    "equity": EquityFinancing,
    "certifications": Certification,
    "events": Event,
    "ip_items": IpItem,
    "scores": PlatformScore,
    "data_updates": DataUpdate,
    "sanctions": Sanction,
}
_PROVENANCE = ("source_batch_id", "recorded_by_id")
_STAMPS = ("recorded_at", "created_at")


class DemoLoadError(ValueError):
    """The demo data cannot be loaded (e.g. its codes are already in the database)."""


def total_rows(tables: Tables) -> int:
    """Rows ``load_tables`` writes (for a progress bar)."""
    return sum(getattr(tables, f.name).height for f in fields(tables))


def _existing_codes(usccs: list[str]) -> list[str]:
    if not Enterprise.objects.exists():
        return []
    found: list[str] = []
    for start in range(0, len(usccs), 500):
        found += Enterprise.objects.filter(uscc__in=usccs[start : start + 500]).values_list("uscc", flat=True)
    return found


def _text_columns(df: pl.DataFrame) -> pl.DataFrame:
    """Dates and decimals as text, the form both SQLite and PostgreSQL accept for their columns."""
    return df.with_columns(
        [pl.col(c).cast(pl.String) for c, t in df.schema.items() if t == pl.Date or isinstance(t, pl.Decimal)]
    )


def _model_frame(
    model: type[models.Model], df: pl.DataFrame, *, given: dict[str, pl.Expr], now: Any, with_id: bool = False
) -> pl.DataFrame:
    """Columns of ``model``'s table in order: ``given`` expressions, constants, else the same-named column."""
    exprs = []
    for field in model._meta.concrete_fields:
        col = str(field.column)
        if field.primary_key and not with_id:
            continue
        if col in given:
            exprs.append(given[col].alias(col))
        elif col in _PROVENANCE:
            exprs.append(pl.lit(None).alias(col))
        elif col in _STAMPS:
            exprs.append(pl.lit(now).alias(col))
        elif field.attname in df.columns and not field.null and field.has_default():
            exprs.append(
                pl.col(field.attname).fill_null(field.get_default()).alias(col)
            )  # e.g. a *_known flag
        elif field.attname in df.columns:
            exprs.append(pl.col(field.attname).alias(col))
        elif field.null:
            exprs.append(pl.lit(None).alias(col))
        else:
            raise DemoLoadError(f"演示数据缺少 {model.__name__}.{field.attname} 列")
    return df.select(exprs)


def _insert(
    cursor: Any, model: type[models.Model], df: pl.DataFrame, progress: Callable[[int], None] | None
) -> None:
    if df.height == 0:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    cols = ", ".join(quote(c) for c in df.columns)
    if connection.vendor == "postgresql":
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for part in df.iter_slices(CHUNK):
                for row in part.iter_rows():
                    copy.write_row(row)
                if progress:
                    progress(part.height)
        return
    mark = "?" if connection.vendor == "sqlite" else "%s"
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join([mark] * df.width)})"  # noqa: S608 - names from model meta
    for part in df.iter_slices(CHUNK):
        cursor.executemany(sql, part.rows())
        if progress:
            progress(part.height)


@contextmanager
def _large_sqlite_cache() -> Iterator[None]:
    """On SQLite, a larger page cache while loading: index pages (USCC, name) are hit in random order."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")


def load_tables(
    tables: Tables, *, progress: Callable[[int], None] | None = None, seed: int | None = None
) -> int:
    """Write every table into the database in one transaction; returns the number of enterprises.

    ``progress`` is called with the number of rows written after each chunk (``total_rows`` is the total).
    Enterprise *eid* gets database id ``max(id) + 1 + eid``; provenance is "no batch, no user, now".
    """
    ents = tables.enterprises
    n = ents.height
    if n == 0:
        return 0
    clash = _existing_codes(ents["uscc"].to_list())
    if clash:
        raise DemoLoadError(
            f"数据库中已有 {len(clash)} 个相同的统一社会信用代码（如 {clash[0]}）；"
            "请换一个 --seed，或使用 --if-empty"
        )
    with transaction.atomic(), _large_sqlite_cache(), connection.cursor() as wrapper:
        base_id = _write_tables(wrapper, tables, progress)
        audit.record(
            AuditAction.IMPORT,
            None,
            object_type="demo",
            object_repr=f"生成演示数据：{n} 家企业",
            new={"enterprises": n, "seed": seed},
            extra={
                "rows": {f.name: getattr(tables, f.name).height for f in fields(tables)},
                "first_id": base_id + 1,
            },
        )
    return n


def _write_tables(wrapper: Any, tables: Tables, progress: Callable[[int], None] | None) -> int:
    """Insert enterprises (explicit ids) and then every child table; returns the id base."""
    cursor = wrapper.cursor  # the driver's cursor: no per-statement debug bookkeeping
    table = connection.ops.quote_name(Enterprise._meta.db_table)
    if connection.vendor == "postgresql":
        wrapper.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    wrapper.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - name from model meta
    base_id = int(wrapper.fetchone()[0])
    ent_id = (pl.col("eid") + base_id + 1).cast(pl.Int64)
    now = connection.ops.adapt_datetimefield_value(datetime.now(UTC))

    ents = _text_columns(
        tables.enterprises.join(size_classes(tables.enterprises, tables.years), on="eid", how="left")
    )
    given = {"id": ent_id, "district_id": pl.col("district"), "uscc_override_reason": pl.lit("")}
    _insert(cursor, Enterprise, _model_frame(Enterprise, ents, given=given, now=now, with_id=True), progress)
    if connection.vendor == "postgresql":
        for sql in connection.ops.sequence_reset_sql(no_style(), [Enterprise]):
            wrapper.execute(sql)

    events = tables.events.sort("eid", "seq")
    payloads = [json.dumps(p, ensure_ascii=False) for p in event_payloads(events)]
    events = events.with_columns(pl.Series("payload", payloads, dtype=pl.String))
    for name, model in CHILD_MODELS.items():
        df = events if name == "events" else getattr(tables, name)
        given = {"enterprise_id": ent_id}
        if name == "events":
            given |= {"date": pl.coalesce("date", "contract_date"), "key": pl.col("key").fill_null("")}
        _insert(cursor, model, _model_frame(model, _text_columns(df), given=given, now=now), progress)
    return base_id


# ---- demo accounts -------------------------------------------------------------------------------------

# username, role, district code (district staff) or district of the bound enterprise, organisation
DEMO_USERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("city_admin", Role.CITY_ADMIN, None, "杭州市经济和信息化局"),
    ("city_staff", Role.CITY_STAFF, None, "杭州市经济和信息化局"),
    ("district_xihu", Role.DISTRICT_STAFF, "330106", "西湖区经济和信息化局"),
    ("district_binjiang", Role.DISTRICT_STAFF, "330108", "滨江区经济和信息化局"),
    ("enterprise_demo", Role.ENTERPRISE, "330106", ""),
    ("provider_demo", Role.PROVIDER, None, "演示服务机构"),
    ("auditor_demo", Role.AUDITOR, None, "审计部门"),
    ("finance_demo", Role.FINANCE, None, "杭州市财政局（资金拨付）"),
    ("city_reviewer", Role.CITY_STAFF, None, "杭州市经济和信息化局（审核）"),
    # The roles of the permission model beyond the business ones (三权分立; a responsible unit; a leader).
    ("kejiju_demo", Role.RESPONSIBLE_UNIT, None, "市科技局"),
    ("leader_demo", Role.LEADER, None, "杭州市经济和信息化局（领导）"),
    ("sysadmin_demo", Role.SYSTEM_ADMIN, None, "信息中心（系统管理员）"),
    ("secadmin_demo", Role.SECURITY_ADMIN, None, "信息中心（安全管理员）"),
    ("secadmin2_demo", Role.SECURITY_ADMIN, None, "信息中心（安全管理员，第二审批人）"),
    ("auditadmin_demo", Role.AUDIT_ADMIN, None, "审计部门（审计管理员）"),
)
_CLASSES = ("ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%*+-=?@_")

Login = tuple[str, str, str, str]  # username, password, role, scope


def logins_path() -> Path:
    """Where the demo logins are kept: ``$SRDI_VAR_DIR/demo-logins.txt``."""
    return Path(settings.VAR_DIR) / LOGINS_FILE


def new_password(length: int = 16) -> str:
    """A random password with every character class (≥ 10 characters, 3 classes required by settings)."""
    chars = [secrets.choice(c) for c in _CLASSES]
    alphabet = "".join(_CLASSES)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def read_logins() -> list[Login]:
    """The stored demo logins (empty when the file does not exist)."""
    path = logins_path()
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 4:
            out.append((parts[0], parts[1], parts[2], parts[3]))
    return out


def _write_logins(logins: list[Login]) -> None:
    path = logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# srdi 演示账号（srdi demo 生成，仅用于演示环境；正式上线前请停用这些账号）\n"
    text += "# username\tpassword\trole\tscope\n"
    text += "".join("\t".join(login) + "\n" for login in logins)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def _scope(user: User) -> str:
    """The account's scope in words, from its role's scope rule (``srdi.domain.permissions``)."""
    scope = permissions.scope_of(user.role)
    if scope is Scope.DISTRICT and user.district is not None:
        return f"{user.district.name}（{user.district.code}）"
    if scope is Scope.ENTERPRISE and user.enterprise is not None:
        return f"{user.enterprise.name}（{user.enterprise.uscc}）"
    if scope is Scope.RESPONSIBLE_UNIT:
        return f"{user.organisation}负责的政策条款的事项（只读）"
    if scope is Scope.PROVIDER:
        return "服务机构（不含企业数据）"
    if scope is Scope.NONE:
        return "无业务数据（" + permissions.spec_of(user.role).label + "）"
    return "全市（只读）" if permissions.is_read_only(user.role) else "全市"


def _demo_enterprise(district: str) -> Enterprise | None:
    """An enterprise of the district for the enterprise account, preferably a provincial SRDI holder."""
    qs = Enterprise.objects.filter(district_id=district).order_by("uscc")
    return qs.filter(certifications__tier="srdi_sme").first() or qs.first()


def create_demo_users(stdout_lines: list[str] | None = None) -> list[Login]:
    """One account per role; existing accounts are kept. Returns (username, password, role, scope) for each.

    Messages for the operator are appended to ``stdout_lines``. A kept account shows the password stored in
    the logins file, or an empty password when the file does not have it.
    """
    say = stdout_lines.append if stdout_lines is not None else (lambda _line: None)
    stored = {login[0]: login for login in read_logins()}
    result: list[Login] = []
    changed = False
    for username, role, district, organisation in DEMO_USERS:
        user = User.objects.select_related("district", "enterprise").filter(username=username).first()
        if user is not None:
            login = stored.get(username) or (username, "", user.role, _scope(user))
            if username not in stored:
                say(f"用户 {username} 已存在，密码未记录在 {logins_path()} 中")
            result.append(login)
            continue
        kwargs: dict[str, Any] = {"username": username, "role": role, "organisation": organisation}
        if permissions.spec_of(role).binds == "district":
            if not District.objects.filter(code=district).exists():
                say(f"区县 {district} 不在数据库中，跳过 {username}（请先运行 srdi migrate）")
                continue
            kwargs["district_code"] = district
        if permissions.spec_of(role).binds == "enterprise":
            ent = _demo_enterprise(district or "")
            if ent is None:
                say(f"区县 {district} 没有企业，跳过 {username}")
                continue
            kwargs["enterprise_uscc"] = ent.uscc
            kwargs["organisation"] = ent.name
        for _attempt in range(5):
            password = new_password()
            try:
                user = create_user(password=password, **kwargs)
                break
            except AccountError:
                continue  # a random password may, very rarely, fail a validator: draw another
        else:
            raise AccountError(f"无法为 {username} 生成符合密码策略的密码")
        result.append((username, password, role, _scope(user)))
        say(f"已创建用户 {username}（{Role(role).label}）")
        changed = True
    if changed:
        keep = [login for login in stored.values() if login[0] not in {r[0] for r in result}]
        _write_logins(result + keep)
    return result


def iter_logins_table(logins: list[Login]) -> Iterator[tuple[str, str, str, str]]:
    """Rows for display: username, password (or a note), role label, scope."""
    for username, password, role, scope in logins:
        label = Role(role).label if role in Role.values else role
        yield username, password or "（已存在，密码未记录）", label, scope
