"""FAT32 card images: made, filled in playback order, read back and checked, without mounting.

Entry points: :func:`make_image` (a sparse file formatted by ``mkfs.fat``),
:func:`geometry` (cluster size, and clusters in all and free, read from the
image's own boot sector and FAT), :func:`copy_in_order` (folders and files
written with ``mmd``/``mcopy`` one at a time, so their directory entries are
in the order players play them), :func:`directory_order` (``mdir``),
:func:`extract` (``mcopy -s``), :func:`fsck_problems` (``fsck.fat -n``) and
:func:`is_fat_image`.

Debian's dosfstools and mtools do the work (this kernel cannot mount vfat,
and a card written by them is what any FAT driver reads). The image is a
"superfloppy": the file system starts at byte 0, without a partition table.
Times come from ``SOURCE_DATE_EPOCH`` (mtools honours it) and mkfs.fat runs
with ``--invariant``, so the same card gives the same image.
"""

from __future__ import annotations

import os
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pipeline.audio.ffmpeg import tool_path
from pipeline.errors import OutputError

SECTOR_BYTES = 512
FAT32_MIN_CLUSTERS = 65525
SD_CLUSTER_BYTES = 32 * 1024  # SD cards of 2-32 GB come formatted with 32 KiB clusters
TOOL_TIMEOUT = 600
BOOT_SECTOR_BYTES = 90
DEFAULT_EPOCH = 315_532_800  # 1980-01-01, the earliest date FAT stores


@dataclass(frozen=True)
class ImageGeometry:
    """What a FAT32 file system offers: its cluster size and clusters in all and free."""

    cluster_bytes: int
    clusters: int
    free_clusters: int

    @property
    def free_bytes(self) -> int:
        """Bytes in free clusters."""
        return self.free_clusters * self.cluster_bytes

    @property
    def used_bytes(self) -> int:
        """Bytes in clusters in use (files and folders)."""
        return (self.clusters - self.free_clusters) * self.cluster_bytes


def cluster_bytes_for(card_bytes: int) -> int:
    """The cluster size of a FAT32 image of ``card_bytes``: 32 KiB as SD cards of 2-32 GB come,
    or the largest smaller one that gives FAT32 the 65,525 clusters it needs (a 1 GB image:
    8 KiB; SD cards that small come as FAT16, which no imaging of FAT32 can copy)."""
    cluster = SD_CLUSTER_BYTES
    while cluster > SECTOR_BYTES and card_bytes // cluster < FAT32_MIN_CLUSTERS * 1.05:
        cluster //= 2
    return cluster


def make_image(path: Path, card_bytes: int, cluster_bytes: int) -> None:
    """A sparse file of ``card_bytes`` holding an empty FAT32 file system."""
    with path.open("xb") as handle:
        handle.truncate(card_bytes)
    sectors = str(cluster_bytes // SECTOR_BYTES)
    _run([tool_path("mkfs.fat"), "-F", "32", "-S", str(SECTOR_BYTES), "-s", sectors, "--invariant", str(path)])


def geometry(path: Path) -> ImageGeometry:
    """Cluster size and clusters in all and free, from the image's boot sector and FAT."""
    with path.open("rb") as handle:
        boot = handle.read(BOOT_SECTOR_BYTES)
        if len(boot) < BOOT_SECTOR_BYTES or boot[82:87] != b"FAT32":
            raise OutputError(f"{path}: not a FAT32 image")
        sector, per_cluster, reserved, fats = struct.unpack_from("<HBHB", boot, 11)
        total = struct.unpack_from("<I", boot, 32)[0]
        fat_sectors = struct.unpack_from("<I", boot, 36)[0]
        clusters = (total - reserved - fats * fat_sectors) // per_cluster
        handle.seek(reserved * sector)
        table = handle.read(fat_sectors * sector)
    entries = struct.unpack_from(f"<{clusters + 2}I", table)[2:]
    free = sum(1 for entry in entries if entry & 0x0FFFFFFF == 0)
    return ImageGeometry(sector * per_cluster, clusters, free)


def copy_in_order(image: Path, staging: Path, targets: Sequence[str], epoch: int = DEFAULT_EPOCH) -> None:
    """Copy staged files into the image in the given order, making each folder just before its
    first file: directory entries are written in this order, which is the order players play.
    Every entry is dated ``epoch``."""
    made: set[str] = set()
    stamp = {"SOURCE_DATE_EPOCH": str(epoch)}
    for target in targets:
        parents = list(PurePosixPath(target).parents)[-2::-1]  # top-down, without '.'
        for parent in parents:
            if parent.as_posix() not in made:
                _mtools("mmd", image, f"::/{parent.as_posix()}", environment=stamp)
                made.add(parent.as_posix())
        _mtools("mcopy", image, "-m", str(staging / target), f"::/{target}", environment=stamp)


def directory_order(image: Path, folder: str = "") -> list[str]:
    """The names in one folder of the image, in the order of their directory entries."""
    prefix = f"::/{folder}/".replace("//", "/")
    listing = _mtools("mdir", image, "-b", prefix)  # bare: one path a line, sub-folders' contents too
    names = [line.removeprefix(prefix) for line in listing.splitlines() if line.startswith(prefix)]
    return [name for name in names if name and "/" not in name.rstrip("/")]


def extract(image: Path, destination: Path) -> None:
    """Copy everything in the image into ``destination`` (which must exist)."""
    _mtools("mcopy", image, "-s", "-m", "-n", "::/*", str(destination))


def fsck_problems(image: Path) -> list[str]:
    """What ``fsck.fat -n`` (read-only) reports about the image; empty when it is clean."""
    result = subprocess.run(
        [tool_path("fsck.fat"), "-n", str(image)], capture_output=True, text=True, timeout=TOOL_TIMEOUT
    )
    if result.returncode == 0:
        return []
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line and "fsck.fat 4" not in line]
    return lines or [f"fsck.fat exit status {result.returncode}"]


def is_fat_image(path: Path) -> bool:
    """True when ``path`` is a file holding a FAT32 file system."""
    try:
        with path.open("rb") as handle:
            return handle.read(BOOT_SECTOR_BYTES)[82:87] == b"FAT32"
    except OSError:
        return False


def _mtools(command: str, image: Path, *arguments: str, environment: dict[str, str] | None = None) -> str:
    return _run([tool_path(command), "-i", str(image), *arguments], environment)


def _run(command: list[str], extra: dict[str, str] | None = None) -> str:
    environment = {**os.environ, "MTOOLS_SKIP_CHECK": "1", **(extra or {})}
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TOOL_TIMEOUT, env=environment, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise OutputError(f"{Path(command[0]).name} did not finish in {TOOL_TIMEOUT} s") from exc
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise OutputError(f"{Path(command[0]).name} failed: {detail[-1] if detail else result.returncode}")
    return result.stdout
