"""Writes: every change to stored records goes through a function here."""
