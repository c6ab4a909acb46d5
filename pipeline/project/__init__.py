"""The project a producer edits: where its files live, the station, templates and episode scripts.

``layout`` owns every path of a content folder; ``station`` reads ``station.yaml``; ``script``
loads and validates templates and episodes; ``yamlsource`` and ``schema`` are the located-YAML
reading and the typed checks underneath them.
"""
