// A small map to put the pin right by hand. Leaflet loads only when the inspector opens the map,
// so it is not on the capture screen's start-up path; it works with no tiles at all (no TILE_URL,
// or no network): the pin, the phone's fix and the photo's position are still drawn, over the
// county's roads and rivers when they could be fetched, and the inspection points the phone keeps.
import {listPoints} from '../assessment.js';
import {datumFor} from './datum.js';

const LEAFLET_JS = '/static/pwa/vendor/leaflet/leaflet.js';
const LEAFLET_CSS = '/static/pwa/vendor/leaflet/leaflet.css';

async function loadLeaflet() {
  if (!document.querySelector(`link[href="${LEAFLET_CSS}"]`)) {
    document.head.append(Object.assign(document.createElement('link'), {rel: 'stylesheet', href: LEAFLET_CSS}));
  }
  await import(LEAFLET_JS); // a UMD build: it defines globalThis.L
  return globalThis.L;
}

const BASE_URL = '/api/v1/map/base.geojson';
const BASE_STYLE = {road: {color: '#8a7f72', weight: 4}, river: {color: '#5b9bd5', weight: 5}};
let baseData = null;  // fetched once a session; offline the pin map stays plain

/** The offline base map (roads, rivers) under the pin, when there are no tiles. */
async function drawBase(L, map) {
  try {
    baseData ??= await fetch(BASE_URL, {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then((response) => (response.ok ? response.json() : null));
  } catch {
    baseData = null;
  }
  if (!baseData || !map._loaded) return;  // closed while the roads were on their way
  L.geoJSON(baseData, {interactive: false, style: (f) => ({...(BASE_STYLE[f.properties.kind] || BASE_STYLE.road),
    className: `base-${f.properties.kind}`})}).addTo(map).bringToBack();
}

/** The inspection points (模拟测评) under the pin, when there are no tiles (issue 16): from the copy
 * the assessment tab keeps after each sync (WGS-84), so they are there offline too. Only landmarks:
 * they take no taps, which still move the pin. */
async function drawPoints(L, map, shown) {
  let points = [];
  try {
    points = await listPoints();
  } catch {
    return;  // no IndexedDB: the map stays as it is
  }
  if (!map._loaded) return;
  for (const point of points) {
    if (!Number.isFinite(point.lat) || !Number.isFinite(point.lon)) continue;
    L.circleMarker(shown(point), {radius: 5, weight: 2, interactive: false, className: 'pin-map-point'}).addTo(map);
  }
}

/**
 * Show a draggable pin at `pin` ({lat, lon}, WGS-84) inside `container`; `onPick(lat, lon)` gets
 * every new position in WGS-84. `marks` are other points to show (the phone's fix, the photo's).
 */
export async function openPinMap(container, {pin, marks = [], config, onPick}) {
  const L = await loadLeaflet();
  const datum = datumFor(config.tile_crs);
  const shown = (point) => datum.toDisplay(point.lat, point.lon);
  const map = L.map(container, {maxZoom: 18}).setView(shown(pin), 17);
  const layers = config.tile_layers || [];
  for (const layer of layers) {  // base and labels (Tianditu vec+cva), each with its own hosts and zooms
    L.tileLayer(layer.url, {subdomains: layer.subdomains || 'abc', minZoom: layer.min_zoom ?? 0,
      maxZoom: layer.max_zoom ?? 18, attribution: layer.attribution || ''}).addTo(map);
  }
  if (!layers.length) {
    drawBase(L, map);
    drawPoints(L, map, shown);
  }
  for (const mark of marks) {
    L.circle(shown(mark), {radius: mark.accuracy || 5, className: 'map-mark'}).addTo(map);
  }
  const marker = L.marker(shown(pin), {draggable: true, autoPan: true}).addTo(map);
  const pick = (latlng) => onPick(...datum.fromDisplay(latlng.lat, latlng.lng));
  marker.on('dragend', () => pick(marker.getLatLng()));
  map.on('click', (event) => {
    marker.setLatLng(event.latlng);
    pick(event.latlng);
  });
  return {
    moveTo(point) {
      marker.setLatLng(shown(point));
      map.panTo(shown(point));
    },
    close() {
      map.remove();
    },
  };
}
