"""Data files shipped with Wenku (prompts, sample documents). Found via ``core.paths.resource_path``."""
