"""Data folder: the demo catalogue in the import format (a package only so that the CSV files ship)."""
