"""syncready: turn raw AI-generated songs into sync-ready, documented catalog assets.

The flow is ``audio.load -> analysis.analyze -> checks.run(profile) -> Report``; the
command line (:mod:`syncready.cli`) is a thin face over these functions.
"""

__version__ = "0.1.0"
