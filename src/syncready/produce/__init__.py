"""Production: masters and edits made from a track and its analysis."""
