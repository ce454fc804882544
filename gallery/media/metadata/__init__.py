"""Photo metadata: one raw record read from the file, and what is made of it.

* :mod:`.reading` does the I/O: EXIF (exifread) and XMP (defusedxml) into one
  :class:`.record.RawMetadata`, within a time budget (:mod:`.limits`), finding the payloads in
  containers exifread does not fully understand (:mod:`.containers`);
* :mod:`.capture_time`, :mod:`.camera`, :mod:`.gps` and :mod:`.captions` are pure functions of
  that record.

Only the standard library and imaging libraries are imported here.
"""
