"""Photo evidence: content-addressed store, imaging, EXIF, evidence flags, cleanup."""
