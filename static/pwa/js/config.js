// Server settings for the phone (tile layers and datum, limits), cached with the shell for offline use.

const DEFAULTS = {tile_url: '', tile_attribution: '', tile_crs: 'WGS84', tile_layers: [], batch_limit: 50, max_photos: 9,
  max_description: 1000};

let loading = null;

export function loadConfig() {
  loading ??= fetch('/app/config.json')
    .then((response) => (response.ok ? response.json() : {}))
    .catch(() => ({}))
    .then((config) => ({...DEFAULTS, ...config}));
  return loading;
}
