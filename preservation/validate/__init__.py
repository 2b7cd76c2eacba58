"""Bag validation: independent families of checks turn a bag reader's entries into findings."""
