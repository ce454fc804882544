"""gallery/api/schemas/uploads.py: the tus request headers, read as text."""

from __future__ import annotations

from gallery.api.schemas.uploads import TusHeadersSchema


def test_reads_the_tus_headers_and_ignores_the_rest() -> None:
    loaded = TusHeadersSchema().load(
        {"Tus-Resumable": "1.0.0", "Upload-Length": "12", "Upload-Offset": "0", "Accept": "*/*"}
    )
    assert loaded == {"tus_resumable": "1.0.0", "upload_length": "12", "upload_offset": "0"}


def test_the_document_names_each_header() -> None:
    names = {field.data_key for field in TusHeadersSchema().fields.values()}
    assert names == {"Tus-Resumable", "Upload-Length", "Upload-Metadata", "Upload-Offset", "Upload-Checksum"}
