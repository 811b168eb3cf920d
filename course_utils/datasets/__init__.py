"""Datasets of the course, one module per dataset."""
