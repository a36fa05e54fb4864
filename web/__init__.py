"""The Starlette application, its templates, configuration and command line."""
