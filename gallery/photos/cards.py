"""A camera card (or a photographer's folder) as it comes: which file becomes a photo, which is
skipped and why, and what the XMP sidecars add to the photos beside them.  ``gallery import``
(:mod:`gallery.photos.batch`) plans a run with :func:`plan_card` before receiving anything.

* Videos, audio and system files are skipped (:func:`skipped_kind`; hidden files and folders,
  such as ``.DS_Store``, ``._IMG_0001.JPG`` or ``.Trashes``, are listed by ``collect_files``).
* An XMP sidecar gives its caption, credit and keywords to the photo of the same name
  (``IMG_0001.xmp`` or ``IMG_0001.CR2.xmp`` for ``IMG_0001.JPG``) and is listed as skipped.
* A camera raw file is skipped unless raw files are wanted (``--raw``); then it becomes a photo
  of its own unless a JPEG twin of the same name is there (the camera wrote both; the JPEG is
  the photo).

Types come from the bytes (:mod:`gallery.media.sniff`); names only pair files that belong
together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gallery.media import raw_sniff, sniff
from gallery.media.metadata.sidecar import SidecarUnreadable, read_sidecar, sidecar_stems

#: What a camera card or a photographer's folder holds beside photos: listed as skipped, never a
#: failure.  Judged from the bytes (the name never decides a type); other images (GIF, BMP, ...),
#: documents and unrecognised files are rejected, since someone meant them as photos.
SKIPPED_FAMILIES = frozenset({"raw", "video", "audio", "sidecar"})
#: Files operating systems leave in folders (hidden ones such as .DS_Store are listed apart).
SYSTEM_FILES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini"})
SIDECAR = "XMP sidecar"


@dataclass(frozen=True)
class Sniffed:
    path: Path
    detected: sniff.Detected | None  # None: unreadable (receiving it reports why)
    sidecar: bool = False

    @property
    def is_raw(self) -> bool:
        return self.detected is not None and self.detected.kind in raw_sniff.RAW_KINDS

    @property
    def is_photo(self) -> bool:
        return self.detected is not None and self.detected.accepted


def sniff_file(path: Path) -> Sniffed:
    try:
        with path.open("rb") as handle:
            head = handle.read(sniff.SNIFF_BYTES)
    except OSError:
        return Sniffed(path, None)
    detected = sniff.detect(head)
    sidecar = detected.mime == "application/xml" and (b"<x:xmpmeta" in head or b"<?xpacket" in head)
    return Sniffed(path, detected, sidecar)


def skipped_kind(path: Path) -> str | None:
    """Why ``path`` is not imported at all (e.g. "QuickTime video"), or None to try it as a photo.
    Raw files count as skipped here; :func:`plan_card` decides about them with ``--raw``."""
    return _skipped(path, sniff_file(path))


def _skipped(path: Path, found: Sniffed) -> str | None:
    if path.name.casefold() in SYSTEM_FILES:
        return "system file"
    if found.sidecar:
        return SIDECAR
    detected = found.detected
    if detected is None or detected.accepted:
        return None
    media_type = sniff.MEDIA_TYPES.get(detected.mime)
    if media_type is not None and media_type.family in SKIPPED_FAMILIES:
        return detected.label
    return None


@dataclass
class CardPlan:
    """What :func:`plan_card` decided: ``skip`` (path -> reason), ``texts`` (photo path -> the
    fields its sidecar fills), ``raw`` (raw files to import as photos)."""

    skip: dict[Path, str] = field(default_factory=dict)
    texts: dict[Path, dict[str, object]] = field(default_factory=dict)
    raw: set[Path] = field(default_factory=set)


def _group(path: Path) -> tuple[Path, str]:
    return path.parent, path.stem.casefold()


def plan_card(files: Iterable[Path], *, raw: bool = False) -> CardPlan:
    """Sniff every file once and decide what each becomes (see the module's docstring)."""
    plan = CardPlan()
    sniffed = [sniff_file(path) for path in files]
    photos: dict[tuple[Path, str], list[Sniffed]] = {}
    for found in sniffed:
        reason = _skipped(found.path, found)
        if reason is None or (found.is_raw and raw):
            photos.setdefault(_group(found.path), []).append(found)
        else:
            plan.skip[found.path] = reason
    for group in photos.values():
        has_twin = any(member.is_photo for member in group)
        for member in group:
            if not member.is_raw:
                continue
            assert member.detected is not None
            if has_twin:
                twin = next(m.path.name for m in group if m.is_photo)
                plan.skip[member.path] = f"{member.detected.label}; its JPEG twin {twin} is imported"
            else:
                plan.raw.add(member.path)
    for found in sniffed:
        if not found.sidecar:
            continue
        _pair_sidecar(plan, found.path, photos)
    return plan


def _pair_sidecar(plan: CardPlan, path: Path, photos: dict[tuple[Path, str], list[Sniffed]]) -> None:
    targets = [
        member.path
        for stem in sidecar_stems(path.name)
        for member in photos.get((path.parent, stem), [])
        if member.path not in plan.skip
    ]
    if not targets:
        plan.skip[path] = f"{SIDECAR}; no photo of the same name"
        return
    try:
        texts = read_sidecar(path).values()
    except SidecarUnreadable as exc:
        plan.skip[path] = f"{SIDECAR}; not applied: {exc}"
        return
    except OSError as exc:
        plan.skip[path] = f"{SIDECAR}; not applied: cannot read it: {exc.strerror or exc}"
        return
    for target in targets:
        plan.texts[target] = {**plan.texts.get(target, {}), **texts}
    names = ", ".join(sorted(t.name for t in targets))
    plan.skip[path] = f"{SIDECAR}; caption, credit and keywords applied to {names}" if texts else f"{SIDECAR}; empty"
