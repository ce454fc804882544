"""The demo event: "European Cluster Conference 2024" (Brussels, 7–8 May 2024),
a report in English and its Polish translation, the programme (imported from an iCalendar file,
with parallel rooms), and an album of generated photos whose EXIF capture times fall on both days
and in and between the sessions.  The photos go through the real ingest path.

This module sits at the top of the domain layer: it uses the catalog and the upload path, and
only the ``gallery demo`` command (and tests) import it."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFilter
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import select
from sqlalchemy.orm import Session

from gallery.catalog.albums import create_album
from gallery.catalog.events import create_event
from gallery.core.audit import Actor
from gallery.models import Album, Event, Report, ReportStatus, report_albums
from gallery.photos.ingest import ingest
from gallery.photos.received import spool
from gallery.schedule.service import import_schedule
from gallery.storage import Storage

EVENT_SLUG = "european-cluster-conference-2024"
ALBUM_SLUG = "ecc-2024-photo-report"

REPORT_EN = """\
**Brussels, 7–8 May 2024.** More than 700 delegates from 30 countries met at the
European Cluster Conference to discuss how industrial clusters can speed up the
green and digital transition.

The first day opened with a plenary on cluster policy after 2025, followed by
parallel sessions on skills, resilient supply chains and interregional
partnerships. On the second day, young innovators pitched their projects and the
conference closed with the signing of a joint declaration.

[album ecc-2024-photo-report]

Thank you to all speakers, delegates and volunteers.

**[See the photo report](/albums/ecc-2024-photo-report)**
"""

REPORT_PL = """\
**Bruksela, 7–8 maja 2024 r.** Ponad 700 delegatów z 30 krajów spotkało się na
Europejskiej Konferencji Klastrów, aby rozmawiać o tym, jak klastry przemysłowe
mogą przyspieszyć zieloną i cyfrową transformację.

Pierwszy dzień otworzyła sesja plenarna o polityce klastrowej po 2025 roku, a po
niej odbyły się równoległe panele o kompetencjach, odpornych łańcuchach dostaw
i partnerstwach międzyregionalnych. Drugiego dnia młodzi innowatorzy
zaprezentowali swoje projekty, a konferencję zamknęło podpisanie wspólnej
deklaracji.

[album ecc-2024-photo-report]

Dziękujemy wszystkim prelegentom, delegatom i wolontariuszom.

**[Zobacz fotorelację](/albums/ecc-2024-photo-report)**
"""


@dataclass(frozen=True)
class DemoShot:
    when: str  # EXIF DateTimeOriginal, local wall time in Europe/Brussels (no offset)
    caption: str
    palette: tuple[tuple[int, int, int], tuple[int, int, int]]
    portrait: bool = False
    camera: tuple[str, str] = ("Canon", "Canon EOS R6")


# The programme as a conference tool exports it: floating times (read in the event's zone).
_SESSIONS = (
    ("opening", "20240507T090000", "20240507T100000", "Opening plenary", "Hemicycle", "Anna Nowak, Jan Kowalski"),
    ("policy", "20240507T100000", "20240507T113000", "Panel: Cluster policy after 2024", "Room A", "Maria Rossi"),
    ("toolbox", "20240507T100000", "20240507T110000", "Workshop: the cluster manager's toolbox", "Room B", ""),
    ("skills", "20240507T140000", "20240507T153000", "Skills for industrial ecosystems", "Room A", "Élodie Martin"),
    ("supply", "20240507T154500", "20240507T170000", "Resilient supply chains", "Room B", ""),
    ("dinner", "20240507T190000", "20240507T223000", "Networking dinner", "Autoworld", ""),
    ("welcome", "20240508T090000", "20240508T094500", "Day two welcome", "Hemicycle", ""),
    ("pitch", "20240508T103000", "20240508T113000", "Young innovators pitch", "Room A", ""),
    ("regions", "20240508T120000", "20240508T130000", "Interregional partnerships", "Room B", ""),
    ("declaration", "20240508T151500", "20240508T155000", "Podpisanie deklaracji / Signing the declaration",
     "Hemicycle", "Zofia Żółkiewska"),
)  # fmt: skip


def programme_ics() -> bytes:
    """The demo event's programme as an iCalendar file."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Gallery demo//EN"]
    for uid, start, end, title, room, speakers in _SESSIONS:
        lines += ["BEGIN:VEVENT", f"UID:{uid}@ecc-2024.example", f"DTSTART:{start}", f"DTEND:{end}"]
        lines += [f"SUMMARY:{title}", f"LOCATION:{room}"]
        if speakers:
            lines.append(f"DESCRIPTION:Speakers: {speakers.replace(',', chr(92) + ',')}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


SHOTS: tuple[DemoShot, ...] = (
    DemoShot("2024:05:07 08:42:10", "Rejestracja delegatów / Delegate registration", ((34, 87, 160), (230, 238, 247))),
    DemoShot("2024:05:07 09:31:55", "Otwarcie konferencji / Opening plenary", ((18, 52, 86), (244, 180, 64))),
    DemoShot(
        "2024:05:07 10:05:12",
        "Panel o polityce klastrowej / Cluster policy panel",
        ((96, 44, 120), (250, 210, 120)),
        portrait=True,
    ),
    DemoShot("2024:05:07 11:47:03", "Przerwa kawowa / Coffee break networking", ((120, 72, 40), (250, 236, 214))),
    DemoShot(
        "2024:05:07 14:20:41",
        "Sesja o kompetencjach / Skills session",
        ((20, 110, 90), (220, 245, 235)),
        camera=("NIKON CORPORATION", "NIKON Z 6_2"),
    ),
    DemoShot("2024:05:07 16:02:30", "Łańcuchy dostaw / Resilient supply chains", ((150, 40, 50), (250, 225, 200))),
    DemoShot(
        "2024:05:07 19:30:00",
        "Kolacja networkingowa / Networking dinner",
        ((40, 30, 70), (255, 170, 90)),
        portrait=True,
    ),
    DemoShot("2024:05:08 09:12:44", "Drugi dzień: powitanie / Day two welcome", ((30, 90, 150), (250, 250, 240))),
    DemoShot(
        "2024:05:08 10:40:18",
        "Młodzi innowatorzy / Young innovators pitch",
        ((200, 90, 20), (255, 240, 200)),
        camera=("NIKON CORPORATION", "NIKON Z 6_2"),
    ),
    DemoShot(
        "2024:05:08 12:15:09",
        "Partnerstwa międzyregionalne / Interregional partnerships",
        ((60, 120, 60), (235, 250, 225)),
    ),
    DemoShot(
        "2024:05:08 15:33:27",
        "Podpisanie deklaracji / Signing the joint declaration",
        ((90, 60, 30), (245, 230, 200)),
        portrait=True,
    ),
    DemoShot("2024:05:08 16:05:51", "Zdjęcie grupowe / Group photo", ((25, 60, 110), (255, 215, 0))),
)


def render_demo_photo(shot: DemoShot, index: int, *, long_edge: int = 1800) -> bytes:
    """A photo-like JPEG (gradient sky, stage, audience silhouettes) with EXIF."""
    rng = random.Random(index * 7919)
    w, h = (long_edge, long_edge * 2 // 3)
    if shot.portrait:
        w, h = h, w
    top, bottom = shot.palette
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / max(1, h - 1)
        colour = tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3))
        draw.line([(0, y), (w, y)], fill=colour)
    # stage lights
    for _ in range(6):
        cx, cy, r = rng.randint(0, w), rng.randint(0, h // 3), rng.randint(h // 12, h // 5)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 250, 220))
    img = img.filter(ImageFilter.GaussianBlur(radius=max(2, long_edge // 60)))
    draw = ImageDraw.Draw(img)
    # stage and screen
    draw.rectangle([w * 0.1, h * 0.35, w * 0.9, h * 0.62], fill=(245, 245, 250), outline=(30, 30, 30), width=4)
    draw.rectangle([0, h * 0.62, w, h * 0.68], fill=(60, 45, 40))
    # audience silhouettes
    for row in range(3):
        y0 = h * (0.72 + row * 0.09)
        for i in range(int(14 + row * 3)):
            x = (i + rng.random() * 0.4) * w / (13 + row * 3)
            head = h * (0.035 + row * 0.008)
            shade = 20 + row * 15 + rng.randint(0, 20)
            draw.ellipse([x - head, y0 - head, x + head, y0 + head], fill=(shade, shade, shade + 10))
            draw.rectangle([x - head * 1.4, y0 + head * 0.8, x + head * 1.4, h], fill=(shade, shade, shade + 10))
    # a little sensor noise so JPEG sizes are realistic
    noise = Image.effect_noise((w, h), 12).convert("RGB")
    img = Image.blend(img, noise, 0.04)
    angle = math.radians(index * 17)
    draw = ImageDraw.Draw(img)
    draw.line(
        [(w * 0.5, h * 0.48), (w * 0.5 + math.cos(angle) * w * 0.3, h * 0.48 + math.sin(angle) * h * 0.1)],
        fill=(200, 40, 40),
        width=6,
    )

    exif = Image.Exif()
    exif[0x010F] = shot.camera[0]  # Make
    exif[0x0110] = shot.camera[1]  # Model
    exif[0x013B] = "ECC 2024 / Demo"  # Artist
    exif[0x8298] = "CC BY 4.0"  # Copyright
    exif[0x010E] = shot.caption.encode("ascii", "replace").decode()  # EXIF text is ASCII only
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = shot.when  # DateTimeOriginal (naive: read in the event's zone)
    sub[0x9004] = shot.when  # DateTimeDigitized
    # Single RATIONAL values (a plain tuple would be written as two rationals).
    sub[0x829D] = IFDRational(28, 10)  # FNumber f/2.8
    sub[0x829A] = IFDRational(1, 250)  # ExposureTime
    sub[0x8827] = 1600  # ISO
    sub[0x920A] = IFDRational(50, 1)  # FocalLength
    if index == 0:
        # GPS on one photo: it is stored privately and must never be shown.
        gps = exif.get_ifd(0x8825)
        gps[1] = "N"
        gps[2] = (50.0, 50.0, 28.0)
        gps[3] = "E"
        gps[4] = (4.0, 22.0, 54.0)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88, exif=exif.tobytes(), xmp=_xmp(shot.caption, "ECC 2024 / Demo", "CC BY 4.0"))
    return out.getvalue()


def _xmp(description: str, creator: str, rights: str) -> bytes:
    """A minimal XMP packet: Unicode captions travel in XMP (and IPTC), not EXIF."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        "<dc:description><rdf:Alt>"
        f'<rdf:li xml:lang="x-default">{escape(description)}</rdf:li>'
        "</rdf:Alt></dc:description>"
        f"<dc:creator><rdf:Seq><rdf:li>{escape(creator)}</rdf:li></rdf:Seq></dc:creator>"
        f'<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{escape(rights)}</rdf:li></rdf:Alt></dc:rights>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def demo_exists(session: Session) -> bool:
    return session.scalar(select(Event.id).where(Event.slug == EVENT_SLUG)) is not None


def load_demo(
    session: Session,
    storage: Storage,
    *,
    tmp_dir: Path,
    max_pixels: int,
    actor: Actor,
    on_photo: Callable[[int, int], None] | None = None,
) -> tuple[Event, Album, list[int]]:
    """Create the demo event, reports and album, and ingest the photos.
    Returns the event, album and the new photo ids (derivatives not yet made)."""
    event = create_event(
        session,
        slug=EVENT_SLUG,
        title="European Cluster Conference 2024",
        starts_on="2024-05-07",
        ends_on="2024-05-08",
        timezone="Europe/Brussels",
        location="Brussels, The Square",
        description="700 delegates, 30 countries, two days on clusters and the twin transition.",
        actor=actor,
    )
    album = create_album(
        session,
        event=event,
        slug=ALBUM_SLUG,
        title="ECC 2024 — photo report",
        description="Photos from both days of the European Cluster Conference 2024 in Brussels.",
        visibility="public",
        actor=actor,
    )
    published = datetime(2024, 5, 9, 8, 0, tzinfo=UTC)  # the morning after the conference
    original: Report | None = None
    for language, slug, title, body in (
        ("en", "conference-report", "700 delegates at the European Cluster Conference 2024", REPORT_EN),
        ("pl", "relacja-z-konferencji", "700 delegatów na Europejskiej Konferencji Klastrów 2024", REPORT_PL),
    ):
        report = Report(
            event_id=event.id,
            slug=slug,
            title=title,
            language=language,
            body=body,
            status=ReportStatus.published,
            published_at=published,
            author_id=actor.user_id,
            translation_of_id=original.id if original is not None else None,
        )
        session.add(report)
        session.flush()
        original = original or report  # the Polish report translates the English one
        session.execute(report_albums.insert().values(report_id=report.id, album_id=album.id, position=0))
    import_schedule(session, event, programme_ics(), actor=actor)
    session.commit()

    photo_ids: list[int] = []
    for index, shot in enumerate(SHOTS):
        data = render_demo_photo(shot, index)
        received = spool(io.BytesIO(data), max_bytes=len(data) + 1, tmp_dir=tmp_dir)
        try:
            outcome = ingest(
                session,
                storage,
                album=album,
                received=received,
                filename=f"ecc2024-{index + 1:02d}.jpg",
                actor=actor,
                max_pixels=max_pixels,
            )
        finally:
            received.cleanup()
        photo_ids.append(outcome.photo.id)
        if on_photo:
            on_photo(index + 1, len(SHOTS))
    album.cover_photo_id = photo_ids[1]  # ingest commits; the album is loaded again on access
    session.commit()
    return event, album, photo_ids
