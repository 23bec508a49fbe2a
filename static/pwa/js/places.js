// The county's own place names on the phone (issue 18): the townships' outlines (/api/v1/areas), the
// named points and the base map's roads (/api/v1/places), kept after each sync, so a report without
// an address can be shown the name the server will give it ("城关镇 · 人民路附近") before it syncs.
// The name is only a hint: it is never sent as the inspector's address (that stays their own words).
// No DOM: the service worker imports this file too.
import {apiFetch, NeedsLogin} from './api.js';
import {distanceM} from './assessment.js';
import {getMeta, setMeta} from './meta.js';

let cached = null; // {areas, places} once read, until the next refresh

/** Fetch the townships and named places when they changed; a failure keeps what is cached.
 * The outlines have their own version: a boundary edited alone must reach the phone too (its
 * outside-county warning, capture/county.js, reads the cached county outline). */
export async function refreshPlaces() {
  try {
    const places = await apiFetch('/api/v1/places');
    const known = await getMeta('places');
    if (known?.version !== places.version || known?.areas_version !== places.areas_version
        || !(await getMeta('areas'))) {
      const {areas} = await apiFetch('/api/v1/areas');
      await setMeta('areas', areas.map(({kind, name_zh, geometry}) => ({kind, name_zh, geometry})));
      await setMeta('places', places);
      cached = null;
    }
  } catch (error) {
    if (error instanceof NeedsLogin) throw error;
  }
}

/** The place name the server's offline naming gives (lat, lon), or '' when nothing is cached yet. */
export async function placeName(lat, lon) {
  cached ??= {areas: await getMeta('areas', []), places: await getMeta('places')};
  const {areas, places} = cached;
  if (!places) return '';
  const township = (areas.find((a) => a.kind === 'township' && covers(a.geometry, lon, lat))
    || areas.find((a) => a.kind === 'county' && covers(a.geometry, lon, lat)))?.name_zh || '';
  let best = null;
  for (const place of places.places) {
    const metres = place.geometry ? outlineDistanceM(place.geometry, lon, lat)
      : distanceM(lat, lon, place.lat, place.lon);
    if (metres <= places.radius_m && (best === null || metres < best.metres)) best = {metres, name: place.name};
  }
  const text = [township, best ? best.name + places.near : ''].filter(Boolean).join(places.separator);
  return text || `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}

// --- plane geometry on (lon, lat) degrees, as the server's shapely does -----------------------

function polygons(geometry) {
  if (geometry?.type === 'Polygon') return [geometry.coordinates];
  return geometry?.type === 'MultiPolygon' ? geometry.coordinates : [];
}

/** Every line a geometry is drawn with: a road's line(s), an outline's rings. */
function paths(geometry) {
  switch (geometry?.type) {
    case 'LineString': return [geometry.coordinates];
    case 'MultiLineString': case 'Polygon': return geometry.coordinates;
    case 'MultiPolygon': return geometry.coordinates.flat(1);
    default: return [];
  }
}

function insideRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside an outline (its holes excepted). */
export function covers(geometry, x, y) {
  return polygons(geometry).some(([outer, ...holes]) => insideRing(outer, x, y)
    && !holes.some((hole) => insideRing(hole, x, y)));
}

/** Metres from (x=lon, y=lat) to the nearest point of the outline or road line (0 inside an
 * outline): the nearest point is found in degrees, as shapely's nearest_points does, then measured
 * on the sphere. */
function outlineDistanceM(geometry, x, y) {
  if (covers(geometry, x, y)) return 0;
  let best = null;
  for (const path of paths(geometry)) {
    for (let i = 1; i < path.length; i++) {
      const near = nearestOnSegment(path[i - 1], path[i], x, y);
      const d2 = (near[0] - x) ** 2 + (near[1] - y) ** 2;
      if (best === null || d2 < best.d2) best = {d2, near};
    }
  }
  return best ? distanceM(y, x, best.near[1], best.near[0]) : Infinity;
}

function nearestOnSegment([ax, ay], [bx, by], x, y) {
  const dx = bx - ax;
  const dy = by - ay;
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / length2)) : 0;
  return [ax + t * dx, ay + t * dy];
}
