"""Renderers that turn cnnlab's result records into tables, CSV, HTML, plots and grader formats.

Nothing here imports a deep-learning framework; the records are plain data.
"""
