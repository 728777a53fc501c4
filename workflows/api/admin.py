"""Admin of the API clients (issue 5); imported by workflows/admin.py."""
