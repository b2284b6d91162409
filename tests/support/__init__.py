"""Test support: real servers (SMTP, waitress) and data factories."""
