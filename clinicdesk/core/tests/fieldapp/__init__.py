"""A test-only app holding a model with encrypted fields (installed by settings_test only)."""
