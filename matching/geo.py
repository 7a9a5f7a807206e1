"""Where cities are and how far apart: the proximity criterion of the ranking. Pure."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CITIES_PATH = Path(__file__).resolve().parent / "data" / "cities.json"
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class GeoPoint:
    latitude: float
    longitude: float


def distance_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle (haversine) distance: road distance is longer, but in proportion."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _key(name: str) -> str:
    name = name.strip().casefold()
    return name.removesuffix("市").removesuffix(" city").strip()


@cache
def _gazetteer() -> dict[str, GeoPoint]:
    data = json.loads(CITIES_PATH.read_text(encoding="utf-8"))
    places: dict[str, GeoPoint] = {}
    for city in data["cities"]:
        point = GeoPoint(city["lat"], city["lon"])
        places[_key(city["zh"])] = point
        places[_key(city["en"])] = point
    return places


def locate_city(name: str | None) -> GeoPoint | None:
    """The centre of a city named in Chinese or English, or None when it is not in the gazetteer."""
    if not name:
        return None
    return _gazetteer().get(_key(name))
