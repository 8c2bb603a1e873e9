"""Example applications built on lanwise."""
