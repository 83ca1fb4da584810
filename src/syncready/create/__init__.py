"""Structure-first composition of sync-ready beds (``syncready create`` and ``syncready ideas``).

brief (validation) -> plan (sections that land on the exact length) -> harmony, melody, bass,
drums per section (n-gram models trained on public-domain scores, :mod:`.train`) -> arrange
(MIDI per stem) -> render (General MIDI soundfont) -> compose (master, stems that null, check,
analysis, rights record); :mod:`.regenerate` re-seeds one section, :mod:`.ideas` writes quick
MIDI sketches. See docs/create.md.
"""
