"""Resumable (tus 1.0.0) and direct-to-store uploads: they receive the bytes their own way and hand
the finished file to the one upload path, :func:`gallery.photos.receive.receive`."""
