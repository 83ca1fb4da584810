"""Rights, provenance and metadata: the rights record, identifiers, advice, exports, tags and content credentials."""
