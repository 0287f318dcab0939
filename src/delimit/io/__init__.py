"""Readers and writers (private adapters): vector, raster, OSM PBF, structured documents; atomic writes."""
