"""Photos: the upload path, processing, display order, capture time, editing, downloads."""
