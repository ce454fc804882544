"""Keeping originals for years: verify, gc, reprocess and BagIt export/import (:mod:`.bagit`)."""
