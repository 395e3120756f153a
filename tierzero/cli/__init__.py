"""The `tierzero` command line and the process supervisor (the one place that imports all)."""
