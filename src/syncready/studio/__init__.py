"""The local web studio (``syncready serve``): a face over the library, never a second audio engine.

Layout: :mod:`.app` builds the FastAPI app; :mod:`.storage` keeps uploads by content hash;
:mod:`.jobs` runs the audio work (:mod:`.tasks`) in a pool of spawned worker processes with
its state in SQLite; :mod:`.security` holds the token, CSRF and upload rules; :mod:`.views`
builds the data the pages and the JSON API share; :mod:`.rights_form` maps the rights form to
the rights record; :mod:`.api` and :mod:`.pages` are the routes.
"""
