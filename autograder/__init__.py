"""Instructor tooling for the deep-learning labs: release, grade a class, demo."""
