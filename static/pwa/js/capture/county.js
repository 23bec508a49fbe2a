// Whether a position lies in the county, answered on the phone from the county's outline that the
// last sync cached with the place names (places.js keeps /api/v1/areas in the meta store), so an
// outside position is caught at capture time, offline too, not only when the server refuses it.
import {getMeta} from '../meta.js';
import {covers} from '../places.js';

let outlines = null; // the county outlines once read; dropped when a sync may have brought new ones

/** Forget the outlines read so far (call after a sync). */
export function forgetCountyOutline() {
  outlines = null;
}

/** True inside the county, false outside, null when this phone has no outline yet (never synced). */
export async function inCounty(lat, lon) {
  const known = outlines ?? (await getMeta('areas', [])).filter((area) => area.kind === 'county' && area.geometry);
  if (!known.length) return null; // not kept: the first sync brings them
  outlines = known;
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  return known.some((area) => covers(area.geometry, lon, lat));
}
