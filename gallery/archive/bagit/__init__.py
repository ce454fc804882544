"""Album export and import as a zipped BagIt bag (RFC 8493): ``gallery export`` / ``gallery import-bag``.

Layout of ``OUT.zip`` (one top-level folder named after the album, as RFC 8493 section 4.2
recommends for serialised bags)::

    <album-slug>/bagit.txt                  BagIt-Version 1.0, UTF-8
    <album-slug>/bag-info.txt               Source-Organization, Bagging-Date, Payload-Oxum,
                                            External-Identifier, External-Description, ...
    <album-slug>/manifest-sha256.txt        every payload file (sorted by path)
    <album-slug>/tagmanifest-sha256.txt     bagit.txt, bag-info.txt, manifest, gallery-instance.json
    <album-slug>/gallery-instance.json      instance-local facts (tag file, see below)
    <album-slug>/data/metadata.json         event, album and every photo field
    <album-slug>/data/originals/0001-<name>.<ext>   the originals, bit-exact, in capture order

Determinism.  ``data/metadata.json`` holds only what describes the album itself (sorted keys,
photos in capture order: dated photos by capture time, undated ones after them in upload order;
file names are the capture-order position plus an ASCII form of the original file name).  Things
that belong to one installation - database ids, processing status, upload and verification
times, the export time - are kept out of the payload, in the tag file ``gallery-instance.json``.
So exporting an album, importing the bag elsewhere and exporting it again gives the same
``metadata.json`` and therefore the same ``manifest-sha256.txt``; only the tag files differ.

Location data.  The bag is an administrator's tool for moving an archive between instances, so
it keeps the originals bit-exact, *including* any GPS position they carry, and ``metadata.json``
carries the private GPS fields under each photo's ``"private"`` key so that nothing is lost.
Treat a bag like a database backup: never publish it.  ``bag-info.txt`` says so.

Not in the bag: derivatives (rebuilt from the originals on import), deleted photos, event
reports, users and their tokens, the album's secret share link (the importing instance makes a
new one).

Modules: :mod:`.format` (names, tag files, manifests), :mod:`.schema` (``metadata.json``, derived
from the model columns), :mod:`.export`, :mod:`.importer` (validation, then restore) and
:mod:`.limits` (what a bag must keep to before anything is inflated or written).
"""
