"""Step types: small classes registered by name (entry point group ``glassdome.steps``)."""
