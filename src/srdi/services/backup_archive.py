"""The backup file: one tar archive holding ``manifest.json`` and the database payload, mode 0600.

Use ``write_archive`` to pack a payload file with its manifest (written to a temporary name, flushed to disk
and renamed, so a half-written backup never carries the final name) and ``open_archive`` to read the manifest
back and ``extract_payload`` to copy the payload out while checking its size and SHA-256 against the manifest.
Members are read by name only; nothing is ever extracted to a path taken from the archive.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Sequence
from pathlib import Path

from srdi.services.backup_manifest import BackupError, Manifest

MANIFEST_NAME = "manifest.json"
FILE_MODE = 0o600
CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def private_file(path: Path) -> int:
    """A new file only its owner can read and write (0600 whatever the umask); returns the descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return fd


def write_archive(
    output: Path,
    manifest: Manifest,
    payload: Path,
    extra_files: Sequence[tuple[str, Path]] = (),
) -> int:
    """Pack ``manifest``, ``payload`` and ``extra_files`` (member name, file) into ``output`` (which must not
    exist); returns its size in bytes."""
    if output.exists():
        raise BackupError(f"{output} 已存在：不覆盖已有备份，请换一个文件名")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with os.fdopen(private_file(partial), "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                data = manifest.to_json()
                info = tarfile.TarInfo(MANIFEST_NAME)
                info.size, info.mode, info.mtime = len(data), FILE_MODE, int(payload.stat().st_mtime)
                tar.addfile(info, io.BytesIO(data))
                info = tarfile.TarInfo(manifest.payload_name)
                info.size, info.mode, info.mtime = (
                    payload.stat().st_size,
                    FILE_MODE,
                    int(payload.stat().st_mtime),
                )
                with payload.open("rb") as f:
                    tar.addfile(info, f)
                for name, path in extra_files:
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = (
                        path.stat().st_size,
                        FILE_MODE,
                        int(path.stat().st_mtime),
                    )
                    with path.open("rb") as f:
                        tar.addfile(info, f)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return output.stat().st_size


def open_archive(path: Path) -> Manifest:
    """The manifest of a backup file (checked against its own digest)."""
    if not path.is_file():
        raise BackupError(f"备份文件 {path} 不存在")
    try:
        with tarfile.open(path, mode="r:") as tar:
            member = tar.getmember(MANIFEST_NAME)
            f = tar.extractfile(member)
            if f is None or member.size > 64 * 1024 * 1024:
                raise BackupError("备份文件中的清单无法读取")
            return Manifest.from_json(f.read())
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise BackupError(f"备份文件无法读取（{type(exc).__name__}）：文件已损坏或不是 srdi 备份") from None


def extract_payload(path: Path, manifest: Manifest, target: Path) -> None:
    """Copy the payload to ``target`` (a new 0600 file), refusing it unless its size and SHA-256 match the
    manifest — a changed byte anywhere in the payload stops the restore here."""
    digest = hashlib.sha256()
    size = 0
    try:
        with tarfile.open(path, mode="r:") as tar:
            member = tar.getmember(manifest.payload_name)
            source = tar.extractfile(member)
            if source is None:
                raise BackupError("备份文件中没有数据库数据")
            with os.fdopen(private_file(target), "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
    except (tarfile.TarError, KeyError) as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"备份文件无法读取（{type(exc).__name__}）：文件已损坏") from None
    if size != manifest.payload_bytes or digest.hexdigest() != manifest.payload_sha256:
        target.unlink(missing_ok=True)
        raise BackupError(
            "备份数据的 SHA-256 与清单不符：备份文件已损坏或被改动，拒绝恢复"
            f"（清单 {manifest.payload_sha256[:16]}…，{manifest.payload_bytes} 字节；"
            f"实际 {digest.hexdigest()[:16]}…，{size} 字节）"
        )
