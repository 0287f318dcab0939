"""Geometry type families shared by readers and layer specs."""

POLYGONAL: tuple[str, ...] = ("Polygon", "MultiPolygon")
LINEAR: tuple[str, ...] = ("LineString", "MultiLineString")
PUNTAL: tuple[str, ...] = ("Point", "MultiPoint")
