"""The web admin: first-run setup, sign-in, and the space manager's pages."""
