// The phone's position while the capture screen is open: the best fix so far and how good it is.
// Device geolocation is the primary source; EXIF GPS is a bonus (docs/design.md §10).

const GOOD_ENOUGH_M = 20;     // stop calling the fix "improving" at this accuracy ...
const PATIENCE_MS = 10_000;   // ... or after this long
const STALE_MS = 60_000;      // a better-looking fix older than this loses to a fresh one

export class LocationWatch extends EventTarget {
  constructor() {
    super();
    this.best = null;   // {lat, lon, accuracy, at}
    this.error = null;  // the GeolocationPositionError message, if the phone refuses
    this.startedAt = 0;
    this.watchId = null;
  }

  start() {
    if (this.watchId !== null) return;
    if (!navigator.geolocation) {
      this.fail('geolocation unsupported');
      return;
    }
    this.startedAt = Date.now();
    this.watchId = navigator.geolocation.watchPosition(
      (position) => this.take(position),
      (error) => this.fail(error.message || String(error.code)),
      {enableHighAccuracy: true, maximumAge: 10_000, timeout: 60_000},
    );
    setTimeout(() => this.dispatchEvent(new Event('change')), PATIENCE_MS); // "improving" ends
  }

  stop() {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    this.watchId = null;
  }

  /** True while the fix is poor and it is still worth waiting a little for a better one. */
  get improving() {
    return this.best !== null && this.best.accuracy > GOOD_ENOUGH_M && Date.now() - this.startedAt < PATIENCE_MS;
  }

  take(position) {
    const fix = {lat: position.coords.latitude, lon: position.coords.longitude,
      accuracy: position.coords.accuracy, at: position.timestamp || Date.now()};
    const stale = this.best && fix.at - this.best.at > STALE_MS;
    if (!this.best || stale || fix.accuracy <= this.best.accuracy) this.best = fix;
    this.error = null;
    this.dispatchEvent(new Event('change'));
  }

  fail(message) {
    this.error = message;
    this.dispatchEvent(new Event('change'));
  }
}
