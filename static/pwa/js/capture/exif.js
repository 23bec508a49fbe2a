// Where and when the original photo was taken, read from its EXIF before resizing strips it.
// Mobile browsers often remove GPS from picked photos, so this is a bonus, never required (docs/design.md §10).
import {gps, parse} from '../../vendor/exifr/lite.esm.mjs';

/** {lat, lon, takenAt} from the file's EXIF; fields are null when absent or unreadable. */
export async function readExif(file) {
  const [position, tags] = await Promise.all([
    gps(file).catch(() => null),
    // Raw strings (reviveValues: false): a revived Date would silently take this phone's zone.
    // (The lite build's `pick` option throws, so read the small header whole.)
    parse(file, {reviveValues: false}).catch(() => null),
  ]);
  const hasGps = Number.isFinite(position?.latitude) && Number.isFinite(position?.longitude);
  return {
    lat: hasGps ? position.latitude : null,
    lon: hasGps ? position.longitude : null,
    takenAt: isoTime(tags?.DateTimeOriginal, tags?.OffsetTimeOriginal),
  };
}

/** EXIF "YYYY:MM:DD HH:MM:SS" as ISO 8601 with an offset: the photo's own, else this phone's zone. */
function isoTime(raw, offset) {
  const match = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(typeof raw === 'string' ? raw : '');
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match;
  if (/^[+-]\d{2}:\d{2}$/.test(offset || '')) return `${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`;
  const local = new Date(+y, +mo - 1, +d, +h, +mi, +s);
  return Number.isNaN(local.getTime()) ? null : local.toISOString();
}
