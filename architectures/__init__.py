"""Ready architectures shipped with zoo: one folder each, with its model YAML(s), blocks and converters."""
