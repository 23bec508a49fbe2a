// The small map on a ticket page: one marker, tiles from the server's TILE_URL (none when unset).
// Coordinates arrive already in the tiles' datum (the server converts WGS-84 to GCJ-02 if needed).
import {circleMarker, map as leafletMap, tileLayer} from '/static/pwa/vendor/leaflet/leaflet-src.esm.js';

const box = document.getElementById('ticket-map');
if (box) {
  const at = [Number(box.dataset.lat), Number(box.dataset.lon)];
  const view = leafletMap(box, {attributionControl: Boolean(box.dataset.attribution)}).setView(at, 17);
  if (box.dataset.tiles) {
    tileLayer(box.dataset.tiles, {maxZoom: 19, attribution: box.dataset.attribution}).addTo(view);
  }
  circleMarker(at, {radius: 9, weight: 3}).addTo(view);
}
