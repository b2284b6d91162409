"""Benchmarks of the SCIM endpoint (``make bench``); figures go to bench/RESULTS.md."""
