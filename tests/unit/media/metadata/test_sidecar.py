"""XMP sidecars (gallery/media/metadata/sidecar.py): caption, credit and keywords as a photo's own XMP would
give them, both naming conventions, and hostile or broken files refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from gallery.media.metadata.sidecar import SidecarTexts, SidecarUnreadable, read_sidecar, sidecar_stems

PACKET = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" {attrs}>
{body}
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def write(tmp_path: Path, body: str = "", attrs: str = "", name: str = "IMG_1.xmp") -> Path:
    path = tmp_path / name
    path.write_text(PACKET.format(body=body, attrs=attrs), encoding="utf-8")
    return path


def test_caption_credit_and_keywords(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """<dc:description><rdf:Alt><rdf:li xml:lang="pl">Otwarcie</rdf:li>
        <rdf:li xml:lang="x-default">Opening &amp; welcome\u202e</rdf:li></rdf:Alt></dc:description>
        <dc:creator><rdf:Seq><rdf:li>Zofia Żak</rdf:li></rdf:Seq></dc:creator>
        <dc:subject><rdf:Bag><rdf:li>stage</rdf:li><rdf:li>keynote</rdf:li></rdf:Bag></dc:subject>""",
    )
    texts = read_sidecar(path)
    assert texts == SidecarTexts(caption="Opening & welcome", credit="Zofia Żak", keywords=["stage", "keynote"])
    assert texts.values() == {"caption": "Opening & welcome", "credit": "Zofia Żak", "keywords": ["stage", "keynote"]}


def test_attributes_and_an_empty_sidecar(tmp_path: Path) -> None:
    assert read_sidecar(write(tmp_path, attrs='photoshop:Credit="Agency"')).values() == {"credit": "Agency"}
    assert read_sidecar(write(tmp_path)).values() == {}


def test_hostile_and_broken_sidecars_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xmp"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&a;</x:xmpmeta>'
    )
    with pytest.raises(SidecarUnreadable):
        read_sidecar(bomb)
    broken = tmp_path / "broken.xmp"
    broken.write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF')
    with pytest.raises(SidecarUnreadable, match="not readable XMP"):
        read_sidecar(broken)
    with pytest.raises(SidecarUnreadable, match="larger than"):
        read_sidecar(write(tmp_path, body="<dc:title>x</dc:title>"), max_bytes=100)


def test_sidecar_names() -> None:
    assert sidecar_stems("IMG_0001.xmp") == {"img_0001"}
    assert sidecar_stems("IMG_0001.CR2.XMP") == {"img_0001.cr2", "img_0001"}
    assert sidecar_stems("noext") == {"noext"}
