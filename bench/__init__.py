"""Benchmarks of ClinicDesk, run by `make bench` (`python -m bench`). Never timed unit tests."""
