// The small map on a ticket page: one marker on the configured tile layers (TILE_PROVIDER), or on the
// offline base map (roads and rivers) when there are none. Coordinates arrive already in the tiles'
// datum (the server converts WGS-84 to GCJ-02 if needed).
import * as L from '/static/pwa/vendor/leaflet/leaflet-src.esm.js';
import {addTileLayers, drawOfflineBase} from './map-tiles.js';

const box = document.getElementById('ticket-map');
if (box) {
  const at = [Number(box.dataset.lat), Number(box.dataset.lon)];
  const tiles = JSON.parse(box.dataset.mapConfig);
  const view = L.map(box, {maxZoom: 18}).setView(at, 17);
  if (!addTileLayers(L, view, tiles).length) {
    drawOfflineBase(L, view, box.dataset.baseUrl)
      .then((base) => { box.dataset.offline = base ? 'drawn' : 'none'; })
      .catch(() => { box.dataset.offline = 'none'; });
  }
  L.circleMarker(at, {radius: 9, weight: 3}).addTo(view);
}
