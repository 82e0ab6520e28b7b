"""Device side: backends, preprocessing, sources, overlay, bench and eval."""
