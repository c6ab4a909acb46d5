"""The build: planning, the segment jobs and their worker pool, assembling folders, lock, logs and report.

``orchestrator.build`` is the entry point and reads as a table of contents of the stages. Kept
free of imports so that a worker importing ``segment_audio`` pays only for what it uses.
"""
