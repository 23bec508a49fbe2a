// A small map to put the pin right by hand. Leaflet loads only when the inspector opens the map,
// so it is not on the capture screen's start-up path; it works with no tiles at all (no TILE_URL,
// or no network): the pin, the phone's fix and the photo's position are still drawn.
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

/**
 * Show a draggable pin at `pin` ({lat, lon}, WGS-84) inside `container`; `onPick(lat, lon)` gets
 * every new position in WGS-84. `marks` are other points to show (the phone's fix, the photo's).
 */
export async function openPinMap(container, {pin, marks = [], config, onPick}) {
  const L = await loadLeaflet();
  const datum = datumFor(config.tile_crs);
  const shown = (point) => datum.toDisplay(point.lat, point.lon);
  const map = L.map(container).setView(shown(pin), 17);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, {attribution: config.tile_attribution, maxZoom: 19}).addTo(map);
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
