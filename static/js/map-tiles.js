// The tile layers of /api/v1/map/config (or a page's data-map-config), shared by the desk's maps,
// and the offline base map (roads and rivers) drawn when there are no tiles. `L` is Leaflet
// (the global UMD build or the ESM module's namespace).

/** Add every configured layer (base, then labels) with its subdomains and zooms; returns them. */
export function addTileLayers(L, map, config) {
  const layers = (config.layers || []).map((layer) => L.tileLayer(layer.url, {
    subdomains: layer.subdomains || 'abc', minZoom: layer.min_zoom ?? 0, maxZoom: layer.max_zoom ?? 18,
    attribution: layer.attribution || '',
  }).addTo(map));
  if (layers.length) map.setMaxZoom(Math.max(...(config.layers.map((layer) => layer.max_zoom ?? 18))));
  return layers;
}

const STYLES = {
  road: {color: '#8a7f72', weight: 4, opacity: 0.9, className: 'base-road'},
  river: {color: '#5b9bd5', weight: 5, opacity: 0.8, className: 'base-river'},
};

/** Draw the county's main roads and rivers from `url` (GeoJSON) under everything else. */
export async function drawOfflineBase(L, map, url) {
  const response = await fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  if (!response.ok) return null;
  const layer = L.geoJSON(await response.json(), {
    style: (feature) => STYLES[feature.properties.kind] || STYLES.road,
  });
  layer.eachLayer((line) => {
    const {name} = line.feature.properties;
    if (name) line.bindTooltip(name, {permanent: false, sticky: true, className: 'base-label'});
  });
  layer.addTo(map);
  layer.bringToBack();
  map.getContainer().classList.add('map-offline');
  return layer;
}

/** Area names written on the map, as an offline map needs (permanent tooltips at their centres). */
export function labelAreas(areasLayer, lang) {
  areasLayer.eachLayer((area) => {
    const props = area.feature.properties;
    if (props.kind === 'county') return;
    const name = (String(lang).startsWith('en') ? props.name_en : props.name_zh) || props.name_zh;
    area.bindTooltip(name, {permanent: true, direction: 'center', className: 'area-label'});
  });
}
