"""Report sections, one module per technique; each registers itself on import."""
