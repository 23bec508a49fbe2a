// The inspection points layer of the supervisor map: one dot per point, coloured by how long ago it
// was last visited. Positions come from the API already in the tiles' datum (?datum=tiles), like the
// ticket clusters, so the dots sit where the tickets do on GCJ-02 tiles too.

const DAY_MS = 86400000;

/** The colour class of a point last visited at `lastVisitedAt` (ISO text or null), seen at `now`. */
export function visitClass(lastVisitedAt, now = Date.now()) {
  if (!lastVisitedAt) return 'never';
  const days = (now - Date.parse(lastVisitedAt)) / DAY_MS;
  if (days <= 7) return 'recent';
  if (days <= 30) return 'month';
  return 'old';
}

function tooltip(point, labels) {
  const box = document.createElement('div');
  const title = document.createElement('strong');
  title.textContent = `${point.code} ${point.name}`;
  const when = document.createElement('div');
  when.textContent = point.last_visited_at
    ? `${labels.lastVisit}: ${new Date(point.last_visited_at).toLocaleString()}`
    : labels.classes.never;
  box.append(title, when);
  return box;
}

/** Fill `layer` (a Leaflet layer group) with the points from `url`; resolves to how many were drawn. */
export async function loadPoints(L, layer, url, labels) {
  const response = await fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const {points} = await response.json();
  layer.clearLayers();
  const now = Date.now();
  for (const point of points) {
    const kind = visitClass(point.last_visited_at, now);
    const dot = L.circleMarker([point.lat, point.lon], {
      radius: 6, weight: 2, className: `point-dot visit-${kind}`,
    });
    dot.bindTooltip(tooltip(point, labels));
    dot.feature = {code: point.code, kind};
    layer.addLayer(dot);
  }
  return points.length;
}
