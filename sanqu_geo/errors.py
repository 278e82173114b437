"""The one exception tree of sanqu-geo.

Every expected failure raises a subclass of :class:`SanquGeoError`; each subclass also
inherits the built-in exception it resembles, so callers can catch either.
"""

from __future__ import annotations

__all__ = [
    "AssignmentError",
    "CRSError",
    "ClusterError",
    "DataSourceError",
    "DemandError",
    "LayerError",
    "NetworkError",
    "RegisterError",
    "SanquGeoError",
    "ScenarioError",
    "SettingsError",
    "TntpError",
]


class SanquGeoError(Exception):
    """Root of every error sanqu-geo raises on purpose."""


class CRSError(SanquGeoError, ValueError):
    """A coordinate reference system is unknown, missing, or the coordinates do not fit it."""


class LayerError(SanquGeoError, ValueError):
    """A layer is malformed: missing fields, invalid or empty geometry, unknown layer name."""


class DataSourceError(SanquGeoError, OSError):
    """A file or data source is missing, empty, unreadable or not of the expected kind."""


class NetworkError(SanquGeoError, ValueError):
    """A road network cannot be built, is empty, or a point cannot be snapped to it."""


class ScenarioError(SanquGeoError, ValueError):
    """A scenario or corridor definition is invalid."""


class SettingsError(SanquGeoError, ValueError):
    """A setting or profile name or value is invalid."""


class DemandError(SanquGeoError, ValueError):
    """Zones or an OD matrix are invalid: unknown zones, negative trips, a wrong shape."""


class AssignmentError(SanquGeoError, ValueError):
    """A traffic assignment cannot run: bad demand, capacities, classes or options."""


class TntpError(SanquGeoError, ValueError):
    """A TransportationNetworks (TNTP) file is malformed: missing columns, bad values."""


class ClusterError(SanquGeoError, OSError):
    """A Dask cluster cannot be reached, or lost a task's workers again and again."""


class RegisterError(SanquGeoError, ValueError):
    """A status workbook or snapshot of the plan's task register is invalid."""
