"""The dashboard: a snapshot of reads (``snapshot``) and a view that only renders (``view``)."""
