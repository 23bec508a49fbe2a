// The map's filters and position live in the page URL, so a view can be shared or bookmarked.

const FILTERS = ['category', 'department', 'status', 'area', 'overdue'];

/** Query parameters for the cluster API and the exports, from the page's own URL. */
export function filterParams(search = window.location.search) {
  const page = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const name of FILTERS) {
    const value = page.get(name);
    if (value) out.set(name, value);
  }
  const days = Number(page.get('days'));
  if (days > 0) {
    out.set('from', new Date(Date.now() - days * 86400000).toISOString());
  }
  return out;
}

/** The position asked for in the URL (lat, lon, z), or null. */
export function initialView(search = window.location.search) {
  const page = new URLSearchParams(search);
  const lat = Number(page.get('lat'));
  const lon = Number(page.get('lon'));
  const zoom = Number(page.get('z'));
  if (!page.get('lat') || !Number.isFinite(lat) || !Number.isFinite(lon) || !Number.isFinite(zoom)) return null;
  return {lat, lon, zoom};
}

/** Record the current position in the URL and the filter form, without a reload. */
export function rememberView(map, form) {
  const centre = map.getCenter();
  const values = {lat: centre.lat.toFixed(5), lon: centre.lng.toFixed(5), z: String(map.getZoom())};
  const page = new URLSearchParams(window.location.search);
  for (const [name, value] of Object.entries(values)) {
    page.set(name, value);
    if (form && form.elements[name]) form.elements[name].value = value;
  }
  window.history.replaceState(null, '', `${window.location.pathname}?${page}`);
}
