// The mock assessment's reference data kept on the phone for offline visits: inspection points,
// the checklist of each location type (in both languages) and this inspector's assigned points.
// Refreshed after each sync; readable with no network. No DOM: the service worker imports this file too.
import {apiFetch, NeedsLogin, Refused} from './api.js';
import {openAppDb, STORES} from './db.js';
import {announce} from './events.js';
import {getMeta, setMeta} from './meta.js';

const CHECKLIST_MAX_AGE_MS = 60 * 60_000; // checklists change rarely: once an hour is enough
const EARTH_RADIUS_M = 6_371_008.8;

/** Fetch points, assignments and stale checklists; a failure keeps what is cached (never throws but NeedsLogin). */
export async function refreshAssessment({now = Date.now()} = {}) {
  let changed = false;
  try {
    const {points} = await apiFetch('/api/v1/points');
    await replaceAll(STORES.points, points);
    changed = true;
  } catch (error) {
    if (error instanceof NeedsLogin) throw error;
  }
  try {
    await setMeta('assignments', normaliseAssignments(await apiFetch('/api/v1/assessment/assignments')));
    changed = true;
  } catch (error) {
    if (error instanceof NeedsLogin) throw error;
    // Not there (404) or not for this role: nothing is assigned. Offline or busy: keep the last list.
    if (error instanceof Refused) {
      await setMeta('assignments', []);
      changed = true;
    }
  }
  const types = new Set((await listPoints()).map((point) => point.location_type));
  for (const type of types) {
    const cached = await getChecklist(type);
    if (cached && now - cached.fetchedAt < CHECKLIST_MAX_AGE_MS) continue;
    try {
      await saveChecklist(await fetchChecklist(type, now));
      changed = true;
    } catch (error) {
      if (error instanceof NeedsLogin) throw error;
    }
  }
  if (changed) announce('assessment-changed');
}

/** One checklist with each item's text in Chinese and English (the API answers one language a call). */
async function fetchChecklist(type, now) {
  const path = `/api/v1/checklists/${encodeURIComponent(type)}`;
  const zh = await apiFetch(`${path}?lang=zh_CN`);
  const en = await apiFetch(`${path}?lang=en`).catch(() => null);
  const english = new Map(en?.version === zh.version ? en.items.map((item) => [item.code, item.text]) : []);
  return {
    location_type: zh.location_type,
    version: zh.version,
    fetchedAt: now,
    items: zh.items.map((item) => ({code: item.code, text_zh: item.text, text_en: english.get(item.code) || '',
      category_code: item.category_code, deduction: item.deduction})),
  };
}

/** The assignments endpoint's answer as [{code, due, draw, visited, point}]: each row carries the
 * point's fields (as GET /points), used when the point is not in the cached list. */
export function normaliseAssignments(answer) {
  const rows = answer?.assignments ?? answer?.points ?? [];
  if (!Array.isArray(rows)) return [];
  return rows.map((row) => {
    if (typeof row === 'string') return {code: row, due: null, draw: null, visited: false, point: null};
    const code = row.point_code ?? row.code ?? row.point?.code;
    const point = row.point ?? (row.name && row.location_type ? {code, name: row.name,
      location_type: row.location_type, lat: row.lat, lon: row.lon, area_code: row.area_code,
      department_code: row.department_code, last_visited_at: row.last_visited_at} : null);
    return {
      code,
      due: row.due ?? row.due_at ?? row.draw?.due ?? null,
      draw: row.draw_name ?? row.draw?.name ?? null,
      visited: Boolean(row.visited ?? row.visited_at),
      point,
    };
  }).filter((row) => typeof row.code === 'string');
}

async function replaceAll(store, records) {
  const db = await openAppDb();
  const tx = db.transaction(store, 'readwrite');
  await tx.store.clear();
  for (const record of records) tx.store.put(record);
  await tx.done;
}

async function saveChecklist(checklist) {
  await (await openAppDb()).put(STORES.checklists, checklist);
}

export async function listPoints() {
  return (await openAppDb()).getAll(STORES.points);
}

export async function getPoint(code) {
  return (await openAppDb()).get(STORES.points, code);
}

export async function getChecklist(locationType) {
  return (await openAppDb()).get(STORES.checklists, locationType);
}

export async function listAssignments() {
  return getMeta('assignments', []);
}

/** Great-circle distance in metres (haversine: exact enough at a county's scale). */
export function distanceM(lat1, lon1, lat2, lon2) {
  const rad = (deg) => deg * Math.PI / 180;
  const a = Math.sin(rad(lat2 - lat1) / 2) ** 2
    + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
}

/** The `limit` points nearest to (lat, lon), each with its distance_m. */
export function nearest(points, lat, lon, limit = 20) {
  return points.filter((point) => Number.isFinite(point.lat) && Number.isFinite(point.lon))
    .map((point) => ({...point, distance_m: distanceM(lat, lon, point.lat, point.lon)}))
    .sort((a, b) => a.distance_m - b.distance_m)
    .slice(0, limit);
}
