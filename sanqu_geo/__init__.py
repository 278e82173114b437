"""sanqu-geo: geospatial planning toolkit for Harbin's 三区一港.

The free trade zone Harbin area with the Harbin New Area, the comprehensive bonded zone, the
airport economic zone and the inland port: their layers, road network, travel times and maps.
"""

from __future__ import annotations

import logging

from sanqu_geo.errors import SanquGeoError

__version__ = "0.1.0"
__all__ = ["SanquGeoError", "__version__"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
