"""Reading press releases from their sources: text exports, saved HTML pages and release folders."""
