"""Open Window Radio's production pipeline: scripts and catalogs in, broadcast audio out."""

__version__ = "0.1.0"
