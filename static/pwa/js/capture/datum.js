// Map tiles in GCJ-02 (AMap, Tencent) are shifted by hundreds of metres from the phone's WGS-84:
// convert for display and back for picks (the same formula as app/services/gcj02.py, docs/design.md §6).
const A = 6378245.0;
const EE = 0.00669342162296594323;

function outsideChina(lat, lon) {
  return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271);
}

function shift(lat, lon) {
  const x = lon - 105.0;
  const y = lat - 35.0;
  const waves = (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
  let dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + waves;
  dlat += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
  dlat += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
  let dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + waves;
  dlon += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
  dlon += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
  const rad = lat / 180 * Math.PI;
  const magic = 1 - EE * Math.sin(rad) ** 2;
  return [dlat * 180 / ((A * (1 - EE)) / (magic * Math.sqrt(magic)) * Math.PI),
    dlon * 180 / (A / Math.sqrt(magic) * Math.cos(rad) * Math.PI)];
}

function toGcj02(lat, lon) {
  if (outsideChina(lat, lon)) return [lat, lon];
  const [dlat, dlon] = shift(lat, lon);
  return [lat + dlat, lon + dlon];
}

function fromGcj02(lat, lon) {
  let [wlat, wlon] = [lat, lon];
  for (let i = 0; i < 20 && !outsideChina(lat, lon); i += 1) {
    const [glat, glon] = toGcj02(wlat, wlon);
    wlat -= glat - lat;
    wlon -= glon - lon;
  }
  return [wlat, wlon];
}

/** {toDisplay, fromDisplay} for the tiles' datum: 'GCJ02', or WGS-84 (also CGCS2000/Tianditu). */
export function datumFor(name) {
  if ((name || '').toUpperCase().replace('-', '') !== 'GCJ02') {
    return {toDisplay: (lat, lon) => [lat, lon], fromDisplay: (lat, lon) => [lat, lon]};
  }
  return {toDisplay: toGcj02, fromDisplay: fromGcj02};
}
