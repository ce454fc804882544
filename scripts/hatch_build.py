"""Build hook: what the wheel needs beyond the Python package (see pyproject.toml).

* the Jinja templates, kept in the top-level ``templates/``, go in as ``gallery/templates/``
  (the app looks there first, and falls back to ``templates/`` in the checkout);
* the message catalogues are compiled from the ``.po`` files into the wheel (so a stale or
  missing ``.mo`` of the working tree never ships);
* the npm-built front-end libraries (``gallery/static/vendor/``, gitignored, made by
  ``make assets``) must be there: without them the album page has no grid and no lightbox,
  so the build stops with a message instead of shipping a broken wheel.

Editable installs import ``gallery`` from the checkout and need none of this."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

VENDOR = Path("gallery", "static", "vendor")
# scripts/copy-vendor.mjs empties the folder first and writes this file last.
VENDOR_STAMP = VENDOR / "VERSIONS.json"


class GalleryBuildHook(BuildHookInterface):
    PLUGIN_NAME = "gallery"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        if not (root / VENDOR_STAMP).is_file():
            raise SystemExit(
                f"gallery build: {VENDOR.as_posix()} is missing or incomplete (no {VENDOR_STAMP.name}); "
                "run `make assets` (npm install + scripts/copy-vendor.mjs) first, or build with `make dist`"
            )
        build_data["force_include"][str(root / "templates")] = "gallery/templates"
        self._catalogues = Path(tempfile.mkdtemp(prefix="gallery-mo-"))
        for po in sorted((root / "gallery" / "translations").glob("*/LC_MESSAGES/*.po")):
            relative = po.relative_to(root).with_suffix(".mo")
            mo = self._catalogues / relative
            compile_catalogue(po, mo, locale=po.parent.parent.name)
            build_data["force_include"][str(mo)] = relative.as_posix()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        catalogues = getattr(self, "_catalogues", None)
        if catalogues is not None:
            shutil.rmtree(catalogues, ignore_errors=True)


def compile_catalogue(po: Path, mo: Path, *, locale: str) -> None:
    """What `pybabel compile -f` does for one catalogue (fuzzy entries included, as in the Makefile)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=locale)
    mo.parent.mkdir(parents=True, exist_ok=True)
    with mo.open("wb") as target:
        write_mo(target, catalog, use_fuzzy=True)
