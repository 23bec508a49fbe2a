// The supervisor map: server-side clusters for the viewport, area outlines and a heatmap.
// Leaflet and leaflet.heat are the vendored UMD builds loaded before this module (window.L),
// because leaflet.heat attaches itself to the global L.
import {loadTicketPopup} from './map-popup.js';
import {loadPoints} from './map-points.js';
import {filterParams, initialView, rememberView} from './map-state.js';
import {clusterList} from './map-cluster-list.js';
import {addTileLayers, drawOfflineBase, labelAreas} from '../map-tiles.js';

const L = window.L;
const element = document.getElementById('map');
const config = element.dataset;
const labels = JSON.parse(config.labels);
const form = document.getElementById('map-filters');
const total = document.getElementById('map-total');

const tiles = JSON.parse(config.mapConfig);
const map = L.map(element, {maxZoom: 18, minZoom: 3});  // SVG: dots take CSS colours
const tileLayers = addTileLayers(L, map, tiles);
// No tiles (a demo without internet, a closed network): the county's roads, rivers and named areas.

const markers = L.layerGroup().addTo(map);
const heat = L.heatLayer([], {radius: 22, blur: 18, minOpacity: 0.25});
const areas = L.geoJSON(null, {style: {color: '#1a5fb4', weight: 2, fill: false, dashArray: '4 4'}}).addTo(map);
// Off over tiles until asked for (?points=1 or the layers control); on by default on the offline base
// map, where the points are landmarks the county drew itself.
const inspectionPoints = L.layerGroup();
L.control.layers(null, {[labels.markers]: markers, [labels.heat]: heat, [labels.areas]: areas,
  [labels.points.layer]: inspectionPoints}).addTo(map);

let inFlight = null;

function clusterIcon(feature) {
  const {count, statuses} = feature.properties;
  const [dominant] = Object.entries(statuses).sort((a, b) => b[1] - a[1])[0];
  const size = count < 10 ? 'small' : count < 1000 ? 'medium' : 'large';
  return L.divIcon({
    className: `cluster cluster-${size} status-${dominant}`,
    html: `<span>${Number(count).toLocaleString()}</span>`,
    iconSize: null,
  });
}

function draw(collection) {
  markers.clearLayers();
  const points = [];
  let max = 1;
  for (const feature of collection.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const props = feature.properties;
    points.push([lat, lon, props.count]);
    max = Math.max(max, props.count);
    if (props.count === 1) {
      const dot = L.circleMarker([lat, lon], {radius: 7, weight: 2, className: `ticket-dot status-${props.status}`});
      dot.bindPopup('', {minWidth: 200});
      dot.on('popupopen', (event) => loadTicketPopup(event.popup, props.id, {
        apiBase: config.ticketApi, pageBase: config.ticketPage, labels,
      }));
      markers.addLayer(dot);
    } else {
      const cluster = L.marker([lat, lon], {icon: clusterIcon(feature), title: String(props.count)});
      if (props.tickets) {  // the highest zoom: zooming cannot split it, so it opens as a list
        cluster.bindPopup(() => clusterList(props.tickets, {pageBase: config.ticketPage, labels}), {minWidth: 220});
      } else {
        cluster.on('click', () => map.setView([lat, lon], Math.min(map.getZoom() + 2, map.getMaxZoom())));
      }
      markers.addLayer(cluster);
    }
  }
  heat.setOptions({max});
  heat.setLatLngs(points);
  total.textContent = `${Number(collection.total).toLocaleString()} ${labels.tickets}`;
  element.dataset.features = String(collection.features.length);  // for people and tests alike
}

async function refresh() {
  if (inFlight) inFlight.abort();
  inFlight = new AbortController();
  const bounds = map.getBounds();
  const params = filterParams();
  params.set('bbox', [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
    .map((v) => v.toFixed(6)).join(','));
  params.set('zoom', String(map.getZoom()));
  if (map.getZoom() >= map.getMaxZoom()) params.set('members', '1');
  try {
    const response = await fetch(`${config.clustersUrl}?${params}`, {
      credentials: 'same-origin', headers: {Accept: 'application/json'}, signal: inFlight.signal,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    draw(await response.json());
  } catch (error) {
    if (error.name !== 'AbortError') total.textContent = labels.failed;
  }
  rememberView(map, form);
}

function linkExports() {
  const query = filterParams().toString();
  for (const id of ['export-xlsx', 'export-csv']) {
    const link = document.getElementById(id);
    if (link) link.href = `${link.href.split('?')[0]}${query ? `?${query}` : ''}`;
  }
}

let pointsLoaded = null;

function showPoints() {
  const legend = document.getElementById('points-legend');
  if (legend) legend.hidden = false;
  pointsLoaded ??= loadPoints(L, inspectionPoints, config.pointsUrl, labels.points)
    .then((n) => { element.dataset.points = String(n); })
    .catch(() => { pointsLoaded = null; total.textContent = labels.failed; });
}

map.on('overlayadd', (event) => { if (event.layer === inspectionPoints) showPoints(); });
map.on('overlayremove', (event) => {
  const legend = document.getElementById('points-legend');
  if (event.layer === inspectionPoints && legend) legend.hidden = true;
});

async function start() {
  linkExports();
  const asked = new URLSearchParams(window.location.search).get('points');
  const offlineWithPoints = !tileLayers.length && (tiles.offline_layers || []).includes('inspection_points');
  if (asked === '1' || (offlineWithPoints && asked !== '0')) {
    inspectionPoints.addTo(map);
    showPoints();
  }
  map.on('moveend', refresh);
  const response = await fetch(config.areasUrl, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  const outlines = response.ok ? await response.json() : {features: []};
  areas.addData(outlines);
  if (!tileLayers.length) {
    labelAreas(areas, config.lang);
    drawOfflineBase(L, map, config.baseUrl).then((base) => { element.dataset.offline = base ? 'drawn' : 'none'; });
  }
  const view = initialView();
  if (view) {
    map.setView([view.lat, view.lon], view.zoom);
  } else if (outlines.features.length) {
    map.fitBounds(areas.getBounds());
  } else {
    map.setView([30, 120], 10);
  }
}

start();
