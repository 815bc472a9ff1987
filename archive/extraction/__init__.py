"""Suggest access points from an article's text: known actors and places, new names, and dates.

``pipeline.extract`` reads; ``archive.services.suggestions`` stores what it proposes.
"""
