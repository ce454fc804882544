"""XMP sidecars: the ``.xmp`` file a photographer's software (Lightroom, Capture One, darktable,
Photo Mechanic) writes next to a photo with the caption, credit and keywords typed in.

:func:`read_sidecar` parses one with the one XMP parser (:mod:`gallery.media.xmp`, defusedxml:
no DTD, no entities) and picks the texts with the same rules and cleaning as a photo's own XMP
(:func:`gallery.media.metadata.captions.extract_captions`).  :func:`sidecar_stems` names the
photos a sidecar belongs to: ``IMG_0001.xmp`` (Adobe's convention) and ``IMG_0001.CR2.xmp``
(darktable's) both belong to ``IMG_0001``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gallery.media import xmp
from gallery.media.metadata.captions import extract_captions
from gallery.media.metadata.record import RawMetadata


class SidecarUnreadable(ValueError):
    """The sidecar is not a usable XMP packet (why is the message)."""


@dataclass(frozen=True)
class SidecarTexts:
    caption: str = ""
    credit: str = ""
    keywords: list[str] = field(default_factory=list)

    def values(self) -> dict[str, object]:
        """The photo fields these texts fill (empty ones left out)."""
        found: dict[str, object] = {"caption": self.caption, "credit": self.credit, "keywords": list(self.keywords)}
        return {name: value for name, value in found.items() if value}


def sidecar_stems(name: str) -> set[str]:
    """The case-folded photo stems a sidecar named ``name`` may belong to."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stems = {stem.casefold()}
    if "." in stem:
        stems.add(stem.rsplit(".", 1)[0].casefold())
    return stems


def read_sidecar(path: Path, *, max_bytes: int = xmp.XMP_MAX_PACKET) -> SidecarTexts:
    """The caption, credit and keywords of an XMP sidecar.  Raises :class:`SidecarUnreadable`
    (too large, not XML, a DTD or entities, no XMP inside) and ``OSError``."""
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SidecarUnreadable(f"larger than {max_bytes} bytes")
    try:
        properties = xmp.parse_xmp_packet(xmp.trim_packet(data))
    except xmp.XmpRefused as exc:
        raise SidecarUnreadable(str(exc)) from None
    except ValueError as exc:
        raise SidecarUnreadable(f"not readable XMP: {exc}") from None
    texts = extract_captions(RawMetadata(kind="xmp", xmp=properties), None)
    return SidecarTexts(caption=texts.caption or "", credit=texts.credit or "", keywords=list(texts.keywords or []))
